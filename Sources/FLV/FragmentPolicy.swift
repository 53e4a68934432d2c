/// Decides where a recording's fragments begin and end: the recording rules of DESIGN.md §2
/// as a pure state machine.
///
/// Events come in (a publisher starts or stops, a media tag arrives, the idle timeout fires,
/// the task window opens or closes) and each returns the ``Action``s to run, in order; the
/// driver owns files, timers and clocks, and does `for action in policy.event() { run(action) }`.
///
/// Rules:
/// - A fragment never spans more than ``Configuration/maximumFragmentDuration`` of media time:
///   every tag in it has a timestamp at most that far past its first tag's. The limit is a
///   ceiling, not a target: tags since the last cut candidate (a video keyframe; any audio tag
///   while the stream has shown no video) are held back as a one-GOP look-ahead, so when a tag
///   past the limit arrives the fragment is cut at the last keyframe at or before the limit
///   and the next fragment starts with the sequence headers and that keyframe. A single GOP
///   longer than the limit is cut at the limit instead, and ``FragmentEnd/splitsGOP`` flags it.
/// - A publisher stopping or going idle closes the fragment at once; media in the window
///   afterwards opens a new one.
/// - Nothing received while the task is active and the publisher live is dropped: the
///   audio and video tags of the fragments, concatenated, are the tags received, each once.
///   Sequence headers and the latest `onMetaData` are remembered and repeated at the front of
///   every fragment. When the window opens mid-stream, the fragment starts at the GOP in
///   progress (the held tags since the last keyframe, at most one fragment's duration old).
/// - Timestamps jumping forward by more than ``Configuration/forwardJumpThreshold`` or back by
///   more than ``Configuration/backwardJumpTolerance`` are rebased to continue from the last
///   one, and counted in ``timestampJumpCount``. Sequence headers and metadata never count as
///   jumps: they take the current timestamp.
///
/// No clock is read: media time comes from the tags, and the idle timeout is the driver's.
public struct FragmentPolicy: Sendable {
    /// The policy's settings.
    public struct Configuration: Sendable, Hashable {
        /// The most media time one fragment may span. Default 1800 s (DESIGN.md §2).
        public var maximumFragmentDuration: Duration
        /// A timestamp more than this past the latest one is a jump. Default 10 s.
        public var forwardJumpThreshold: Duration
        /// A timestamp more than this before the latest one is a jump; smaller steps back are
        /// interleaving jitter, left to the writer's clamping. Default 1 s.
        public var backwardJumpTolerance: Duration

        public init(
            maximumFragmentDuration: Duration = .seconds(1800),
            forwardJumpThreshold: Duration = .seconds(10),
            backwardJumpTolerance: Duration = .seconds(1)
        ) {
            self.maximumFragmentDuration = maximumFragmentDuration
            self.forwardJumpThreshold = forwardJumpThreshold
            self.backwardJumpTolerance = backwardJumpTolerance
        }
    }

    /// Why a fragment closed.
    public enum CloseReason: Sendable, Hashable {
        /// The next tag would have taken the fragment past the maximum duration.
        case durationLimit
        /// The publisher stopped or went idle.
        case interruption
        /// The task window closed.
        case taskEnd
    }

    /// How a fragment ended.
    public struct FragmentEnd: Sendable, Hashable {
        /// Why it ended.
        public var reason: CloseReason
        /// The cut fell inside a GOP longer than the maximum duration, so the next fragment
        /// does not start on a keyframe. The closing fragment is flagged with it.
        public var splitsGOP: Bool

        public init(reason: CloseReason, splitsGOP: Bool = false) {
            self.reason = reason
            self.splitsGOP = splitsGOP
        }
    }

    /// What goes at the front of a new fragment, before its first tags.
    public struct FragmentStart: Sendable, Hashable {
        /// The latest `onMetaData` from the publisher, if any.
        public var metadata: FLVMediaTag?
        /// The sequence headers in force at the fragment's first tag: video, then audio.
        public var sequenceHeaders: [FLVMediaTag]

        public init(metadata: FLVMediaTag?, sequenceHeaders: [FLVMediaTag]) {
            self.metadata = metadata
            self.sequenceHeaders = sequenceHeaders
        }
    }

    /// What the driver must do, in the order returned.
    public enum Action: Sendable, Hashable {
        /// Open a new fragment and write its front.
        case openFragment(FragmentStart)
        /// Append these tags, in order, to the open fragment.
        case writeTags([FLVMediaTag])
        /// Close the open fragment, then open the next one.
        case cutFragment(FragmentEnd, next: FragmentStart)
        /// Close the open fragment.
        case closeFragment(FragmentEnd)
    }

    let configuration: Configuration
    var state: State = .idle
    var taskIsActive = false
    var publisherIsLive = false
    var latest = FrontTags()
    var timeline = Timeline()
    var lookAhead = LookAhead()
    var streamHasVideo = false

    /// Timestamp jumps rebased since the policy was created.
    public internal(set) var timestampJumpCount = 0

    /// The timestamp the latest tag given to ``mediaTagDidArrive(_:)`` has on the continuous
    /// timeline: the one it carries in any action, now or later.
    public internal(set) var placedTimestamp: Int64 = 0

    /// - Parameter configuration: Limits and thresholds; documented defaults unless given.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }
}
