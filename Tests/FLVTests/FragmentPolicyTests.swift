import AMF
import NIOCore
import Testing

@testable import FLV

@Suite("FragmentPolicy")
struct FragmentPolicyTests {
    // MARK: Duration ceiling and keyframe cuts

    @Test("three hours at the default limit: cut on the last keyframe at or before 1800 s")
    func threeHoursDefaultLimit() {
        var harness = PolicyHarness()
        harness.taskDidStart()
        harness.publisherDidStart()
        let stream = Synthetic.Stream(fps: 10, gop: 2000, audioInterval: 100)
        let tags = stream.tags(until: 3 * 3600 * 1000)
        harness.feed(tags)
        harness.taskDidEnd()

        #expect(harness.fragments.count == 6)
        harness.checkFragments()
        // Keyframes every 2 s land exactly on 1800 s: each fragment starts on a multiple of it.
        #expect(harness.fragments.map { $0.frames.first?.timestamp } == (0..<6).map { Int64($0) * 1_800_000 })
        #expect(harness.fragments.dropLast().allSatisfy { $0.end == .init(reason: .durationLimit) })
        #expect(harness.fragments.last?.end == .init(reason: .taskEnd))
        #expect(harness.recordedSerials == tags.compactMap(\.serial))
    }

    @Test(
        "cuts land on the last keyframe at or before the limit, none lost",
        arguments: [(gop: Int64(1000), fps: 25), (2000, 30), (3000, 24), (7000, 25), (9000, 10), (10000, 5)]
    )
    func keyframeCuts(gop: Int64, fps: Int) {
        var harness = PolicyHarness(limit: .seconds(60))
        harness.taskDidStart()
        harness.publisherDidStart()
        let tags = Synthetic.Stream(fps: fps, gop: gop, audioInterval: 23).tags(until: 600 * 1000)
        harness.feed(tags)
        harness.taskDidEnd()

        harness.checkFragments()
        #expect(harness.recordedSerials == tags.compactMap(\.serial))
        let keyframes = tags.filter(\.isKeyframe).map(\.timestamp)
        for (fragment, next) in zip(harness.fragments, harness.fragments.dropFirst()) {
            #expect(fragment.end?.splitsGOP == false)
            // The next fragment starts on the last keyframe at or before the limit.
            let start = fragment.frames[0].timestamp
            #expect(next.frames.first?.timestamp == keyframes.last { $0 <= start + harness.limit })
        }
    }

    @Test("a keyframe exactly at the limit starts the next fragment")
    func keyframeAtLimit() {
        var harness = PolicyHarness(limit: .seconds(10))
        harness.taskDidStart()
        harness.publisherDidStart()
        harness.feed(Synthetic.Stream(fps: 25, gop: 5000, audioInterval: nil).tags(until: 30_000))
        harness.taskDidEnd()
        #expect(harness.fragments.map { $0.frames.first?.timestamp } == [0, 10_000, 20_000])
        harness.checkFragments(expectAudio: false)
    }

    @Test("a GOP longer than the limit is cut at the limit and flagged")
    func gopLongerThanLimit() {
        var harness = PolicyHarness(limit: .seconds(10))
        harness.taskDidStart()
        harness.publisherDidStart()
        let tags = Synthetic.Stream(fps: 25, gop: 25_000, audioInterval: 40).tags(until: 100_000)
        harness.feed(tags)
        harness.taskDidEnd()

        harness.checkFragments()
        #expect(harness.recordedSerials == tags.compactMap(\.serial))
        #expect(harness.fragments.contains { $0.end?.splitsGOP == true })
        for (index, fragment) in harness.fragments.enumerated() {
            let startsOnKeyframe = fragment.frames.first { $0.type == .video }?.isKeyframe == true
            let previousSplit = index > 0 && harness.fragments[index - 1].end?.splitsGOP == true
            #expect(startsOnKeyframe != previousSplit)
        }
    }

    @Test("audio only: cut at the limit on any audio tag")
    func audioOnly() {
        var harness = PolicyHarness(limit: .seconds(30))
        harness.taskDidStart()
        harness.publisherDidStart(headers: Synthetic.headers(video: false))
        let tags = Synthetic.Stream(fps: nil, audioInterval: 64).tags(until: 2 * 3600 * 1000)
        harness.feed(tags)
        harness.taskDidEnd()

        harness.checkFragments(expectVideo: false)
        #expect(harness.recordedSerials == tags.compactMap(\.serial))
        // Each fragment ends on the last audio tag before the one at or before the limit.
        #expect(harness.fragments.dropLast().allSatisfy { $0.span >= 30_000 - 2 * 64 })
        #expect(harness.fragments.count == 241)
        #expect(harness.fragments.allSatisfy { $0.end?.splitsGOP == false })
    }

    @Test("video only")
    func videoOnly() {
        var harness = PolicyHarness(limit: .seconds(30))
        harness.taskDidStart()
        harness.publisherDidStart(headers: Synthetic.headers(audio: false))
        let tags = Synthetic.Stream(fps: 15, gop: 4000, audioInterval: nil).tags(until: 3600 * 1000)
        harness.feed(tags)
        harness.taskDidEnd()

        harness.checkFragments(expectAudio: false)
        #expect(harness.recordedSerials == tags.compactMap(\.serial))
        let keyframes = tags.filter(\.isKeyframe).map(\.timestamp)
        for (fragment, next) in zip(harness.fragments, harness.fragments.dropFirst()) {
            let start = fragment.frames[0].timestamp
            #expect(next.frames.first?.timestamp == keyframes.last { $0 <= start + harness.limit })
        }
    }

    @Test("timestamps past 2^32 ms work like small ones", arguments: [Int64(1) << 32 - 5_000, Int64(1) << 40])
    func largeTimestamps(start: Int64) {
        var harness = PolicyHarness(limit: .seconds(20))
        harness.taskDidStart()
        harness.publisherDidStart(headers: Synthetic.headers(at: start))
        let tags = Synthetic.Stream(start: start, fps: 25, gop: 2000, audioInterval: 40).tags(until: start + 100_000)
        harness.feed(tags)
        harness.taskDidEnd()

        harness.checkFragments()
        #expect(harness.fragments.count == 5)
        #expect(harness.policy.timestampJumpCount == 0)
        #expect(harness.recordedSerials == tags.compactMap(\.serial))
    }

    // MARK: Window

    @Test("end of the window mid-GOP writes the held tags into the last fragment")
    func windowEndsMidGOP() {
        var harness = PolicyHarness(limit: .seconds(60))
        harness.taskDidStart()
        harness.publisherDidStart()
        let tags = Synthetic.Stream(fps: 25, gop: 4000, audioInterval: 40).tags(until: 10_500)
        harness.feed(tags)
        harness.taskDidEnd()

        #expect(harness.fragments.count == 1)
        #expect(harness.fragments[0].end == .init(reason: .taskEnd))
        #expect(harness.recordedSerials == tags.compactMap(\.serial))
        // Tags after the window are not recorded.
        harness.feed(Synthetic.Stream(start: 10_500, firstSerial: 10_000).tags(until: 12_000))
        #expect(harness.recordedSerials == tags.compactMap(\.serial))
    }

    @Test("a window opening mid-GOP starts on that GOP's keyframe")
    func windowStartsMidGOP() {
        var harness = PolicyHarness(limit: .seconds(60))
        harness.publisherDidStart()
        let tags = Synthetic.Stream(fps: 25, gop: 4000, audioInterval: 40).tags(until: 20_000)
        let (before, after) = (tags.filter { $0.timestamp < 9_000 }, tags.filter { $0.timestamp >= 9_000 })
        harness.feed(before)
        harness.taskDidStart()
        harness.feed(after)
        harness.taskDidEnd()

        #expect(harness.fragments.count == 1)
        harness.checkFragments()
        #expect(harness.fragments[0].frames.first?.timestamp == 8_000)
        let window = tags.filter { $0.timestamp >= 8_000 }.compactMap(\.serial)
        #expect(harness.recordedSerials == window)
        #expect(harness.fragments[0].start.metadata?.isMetadata == true)
    }

    @Test("no publisher: the window opens and closes without a fragment")
    func windowWithoutPublisher() {
        var policy = FragmentPolicy()
        #expect(policy.taskDidStart() == [])
        #expect(policy.taskDidEnd() == [])
        #expect(policy.publisherDidStop() == [])
        #expect(policy.idleTimeoutDidElapse() == [])
    }

    // MARK: Interruptions

    enum InterruptionPoint: String, CaseIterable, Sendable {
        case beforeWindow, beforeFirstMedia, atFragmentStart, midGOP, atKeyframe, rightAfterCut, afterWindow
    }

    @Test(
        "an interruption in every state closes at once and loses nothing",
        arguments: InterruptionPoint.allCases,
        [true, false]
    )
    func interruption(at point: InterruptionPoint, idle: Bool) {
        var harness = PolicyHarness(limit: .seconds(10))
        let first = Synthetic.Stream(fps: 25, gop: 2000, audioInterval: 40)
        let cutoff: Int64 =
            switch point {
            case .beforeWindow, .beforeFirstMedia, .afterWindow: 0
            case .atFragmentStart: 1
            case .midGOP: 5_100
            case .atKeyframe: 6_001
            case .rightAfterCut: 10_001
            }
        let before = first.tags(until: cutoff)
        if point != .beforeWindow { harness.taskDidStart() }
        harness.publisherDidStart()
        if point == .afterWindow {
            harness.feed(first.tags(until: 3_000))
            harness.taskDidEnd()
        }
        harness.feed(before)
        let fragmentsBefore = harness.fragments.count
        if idle { harness.idleTimeoutDidElapse() } else { harness.publisherDidStop() }
        #expect(!harness.isOpen)
        if cutoff > 0 {
            #expect(harness.fragments.last?.end == .init(reason: .interruption))
            #expect(harness.fragments.count == fragmentsBefore)
        }

        // The stream returns with new timestamps (a new publisher restarts from 0).
        let resumeStart: Int64 = idle ? cutoff + 30_000 : 0
        let second = Synthetic.Stream(start: resumeStart, fps: 25, gop: 2000, audioInterval: 40, firstSerial: 100_000)
        if !idle { harness.publisherDidStart() }
        if point == .beforeWindow || point == .afterWindow { harness.taskDidStart() }
        let after = second.tags(until: resumeStart + 25_000)
        harness.feed(after)
        harness.taskDidEnd()

        harness.checkFragments()
        let expected = (point == .afterWindow ? first.tags(until: 3_000) : before) + after
        #expect(harness.recordedSerials == expected.compactMap(\.serial))
        #expect(harness.policy.timestampJumpCount == 0)
    }

    @Test("a second publisher start without a stop is an interruption")
    func publisherRestart() {
        var harness = PolicyHarness(limit: .seconds(60))
        harness.taskDidStart()
        harness.publisherDidStart()
        harness.feed(Synthetic.Stream().tags(until: 5_000))
        harness.publisherDidStart(headers: Synthetic.headers() + [Synthetic.metadata(width: 640)])
        harness.feed(Synthetic.Stream(firstSerial: 1_000).tags(until: 5_000))
        harness.taskDidEnd()
        #expect(harness.fragments.map(\.end?.reason) == [.interruption, .taskEnd])
        harness.checkFragments()
        #expect(harness.fragments[1].start.metadata?.data == Synthetic.metadataBody(width: 640))
    }

    // MARK: Timestamps, headers and metadata

    @Test("timestamp jumps beyond the thresholds are rebased and counted")
    func timestampJumps() {
        var harness = PolicyHarness(limit: .seconds(30))
        harness.taskDidStart()
        harness.publisherDidStart()
        let part1 = Synthetic.Stream(fps: 25, gop: 2000, audioInterval: 40).tags(until: 20_000)
        let part2 = Synthetic.Stream(start: 500_000, fps: 25, gop: 2000, audioInterval: 40, firstSerial: 10_000).tags(
            until: 520_000
        )
        let part3 = Synthetic.Stream(start: 100_000, fps: 25, gop: 2000, audioInterval: 40, firstSerial: 20_000).tags(
            until: 120_000
        )
        let small = Synthetic.Stream(start: 119_500, fps: nil, audioInterval: 40, firstSerial: 30_000).tags(
            until: 120_000
        )
        harness.feed(part1 + part2 + part3 + small)
        harness.taskDidEnd()

        #expect(harness.policy.timestampJumpCount == 2)
        // The 0.5 s step back is within the tolerance: kept as is, for the writer to clamp.
        harness.checkFragments(monotonic: false)
        #expect(harness.fragments.flatMap(\.frames).filter { $0.type == .video }.map(\.timestamp).isSorted)
        #expect(harness.recordedSerials == (part1 + part2 + part3 + small).compactMap(\.serial))
        let total = harness.fragments.reduce(Int64(0)) { $0 + $1.span }
        #expect(total < 61_000)
    }

    @Test("sequence headers in force at the cut are repeated at the front; metadata too")
    func headersRepeated() {
        var harness = PolicyHarness(limit: .seconds(10))
        harness.taskDidStart()
        harness.publisherDidStart()
        var tags = Synthetic.Stream(fps: 25, gop: 3000, audioInterval: 40).tags(until: 25_000)
        // New video configuration and metadata after the keyframe at 9 s, the last one before
        // the 10 s limit: they are held when the cut at 9 s happens.
        let insertion = tags.firstIndex { $0.timestamp >= 9_500 }!
        let newHeader = FLVMediaTag(type: .video, timestamp: 9_500, data: Synthetic.videoSequenceHeader(2))
        tags.insert(contentsOf: [newHeader, Synthetic.metadata(at: 9_500, width: 1920)], at: insertion)
        harness.feed(tags)
        harness.taskDidEnd()

        #expect(harness.fragments.map { $0.frames.first?.timestamp } == [0, 9_000, 18_000])
        let fronts = harness.fragments.map { $0.start.sequenceHeaders.first?.data }
        #expect(fronts == [1, 1, 2].map { Synthetic.videoSequenceHeader($0) })
        #expect(harness.fragments[1].tags.contains { $0.data == Synthetic.videoSequenceHeader(2) })
        let widths = harness.fragments.map { $0.start.metadata?.data }
        #expect(widths == [1280, 1280, 1920].map { Synthetic.metadataBody(width: $0) })
        // Metadata is never written mid-fragment.
        #expect(harness.fragments.allSatisfy { $0.tags.allSatisfy { !$0.isMetadata } })
    }

    @Test("tags are classified from their bodies")
    func classification() {
        #expect(Synthetic.metadata().isMetadata)
        #expect(FLVMediaTag(type: .video, timestamp: 0, data: Synthetic.videoSequenceHeader()).isSequenceHeader)
        #expect(
            FLVMediaTag(type: .video, timestamp: 0, data: Synthetic.videoFrame(keyframe: true, serial: 1)).isKeyframe
        )
        #expect(
            !FLVMediaTag(type: .video, timestamp: 0, data: Synthetic.videoFrame(keyframe: false, serial: 1)).isKeyframe
        )
        #expect(FLVMediaTag(type: .audio, timestamp: 0, data: Synthetic.audioSequenceHeader()).isSequenceHeader)
        let malformed = FLVMediaTag(type: .video, timestamp: 0, data: ByteBuffer(bytes: [0x17]))
        #expect(!malformed.isKeyframe && !malformed.isSequenceHeader)
        var cuePoint = ByteBuffer()
        cuePoint.writeAMF0Value(.string("onCuePoint"))
        #expect(!FLVMediaTag(type: .scriptData, timestamp: 0, data: cuePoint).isSequenceHeader)
    }
}
