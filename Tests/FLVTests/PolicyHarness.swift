import Testing

@testable import FLV

/// Plays the recorder: runs a ``FragmentPolicy``'s actions into in-memory fragments and checks
/// that each action is possible in the harness's state.
struct PolicyHarness {
    struct Fragment {
        var start: FragmentPolicy.FragmentStart
        var tags: [FLVMediaTag] = []
        var end: FragmentPolicy.FragmentEnd?

        var frames: [FLVMediaTag] { tags.filter(\.isFrame) }
        var span: Int64 {
            let times = frames.map(\.timestamp)
            return (times.max() ?? 0) - (times.min() ?? 0)
        }
    }

    var policy: FragmentPolicy
    var fragments: [Fragment] = []
    var limit: Int64

    init(limit: Duration = .seconds(1800), configuration: FragmentPolicy.Configuration? = nil) {
        let configuration = configuration ?? FragmentPolicy.Configuration(maximumFragmentDuration: limit)
        self.policy = FragmentPolicy(configuration: configuration)
        self.limit = configuration.maximumFragmentDuration.milliseconds
    }

    var isOpen: Bool { fragments.last.map { $0.end == nil } ?? false }

    mutating func run(_ actions: [FragmentPolicy.Action]) {
        for action in actions {
            switch action {
            case .openFragment(let start):
                #expect(!isOpen, "open while a fragment is open")
                fragments.append(Fragment(start: start))
            case .writeTags(let tags):
                #expect(isOpen, "write with no open fragment")
                #expect(!tags.isEmpty)
                fragments[fragments.count - 1].tags += tags
            case .cutFragment(let end, let next):
                #expect(isOpen, "cut with no open fragment")
                fragments[fragments.count - 1].end = end
                fragments.append(Fragment(start: next))
            case .closeFragment(let end):
                #expect(isOpen, "close with no open fragment")
                fragments[fragments.count - 1].end = end
            }
        }
    }

    mutating func feed(_ tags: [FLVMediaTag]) {
        for tag in tags { run(policy.mediaTagDidArrive(tag)) }
    }

    mutating func publisherDidStart(headers: [FLVMediaTag] = Synthetic.headers()) {
        run(policy.publisherDidStart())
        feed(headers)
    }

    mutating func publisherDidStop() { run(policy.publisherDidStop()) }
    mutating func taskDidStart() { run(policy.taskDidStart()) }
    mutating func taskDidEnd() { run(policy.taskDidEnd()) }
    mutating func idleTimeoutDidElapse() { run(policy.idleTimeoutDidElapse()) }

    /// The serials of every frame written, in fragment order.
    var recordedSerials: [Int] { fragments.flatMap { $0.tags.compactMap(\.serial) } }

    /// Checks the recording rules on every fragment: closed, within the limit, non-empty,
    /// sequence headers at the front, first video frame a keyframe unless the cut before it
    /// split a GOP, timestamps of each kind non-decreasing (unless `monotonic` is false).
    func checkFragments(
        expectVideo: Bool = true,
        expectAudio: Bool = true,
        monotonic: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for (index, fragment) in fragments.enumerated() {
            #expect(fragment.end != nil, "fragment \(index) left open", sourceLocation: sourceLocation)
            #expect(!fragment.frames.isEmpty, "fragment \(index) is empty", sourceLocation: sourceLocation)
            #expect(
                fragment.span <= limit,
                "fragment \(index) spans \(fragment.span) ms",
                sourceLocation: sourceLocation
            )
            let headerTypes = fragment.start.sequenceHeaders.map(\.type)
            if expectVideo { #expect(headerTypes.contains(.video), sourceLocation: sourceLocation) }
            if expectAudio { #expect(headerTypes.contains(.audio), sourceLocation: sourceLocation) }
            let splitBefore = index > 0 && fragments[index - 1].end?.splitsGOP == true
            if expectVideo, !splitBefore {
                let firstVideo = fragment.frames.first { $0.type == .video }
                #expect(
                    firstVideo?.isKeyframe == true,
                    "fragment \(index) starts mid-GOP",
                    sourceLocation: sourceLocation
                )
            }
            for type in [FLVTagType.audio, .video] where monotonic {
                let times = fragment.frames.filter { $0.type == type }.map(\.timestamp)
                #expect(times.isSorted, "fragment \(index) \(type) goes back", sourceLocation: sourceLocation)
            }
        }
    }
}

extension Array where Element == Int64 {
    var isSorted: Bool { zip(self, dropFirst()).allSatisfy { $0 <= $1 } }
}
