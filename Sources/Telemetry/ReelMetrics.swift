import CoreMetrics
import Synchronization

/// The metrics a server records, as swift-metrics objects made from one factory.
///
/// Design: nothing here reads the process-wide `MetricsSystem`. A server builds one
/// `ReelMetrics` from the factory of its own registry (the app uses a
/// `PrometheusMetricsFactory` over a `PrometheusCollectorRegistry` it owns and serves at
/// `/metrics`) and hands it to the components that record: the channel hub, the RTMP ingest,
/// the recorder and the API endpoint. So several servers run in one process (tests do) each
/// with counters that start at zero, `MetricsSystem.bootstrap` — callable once per process —
/// is never needed, and a component built without metrics records into
/// ``noop`` at no cost.
///
/// Names follow Prometheus conventions: `reel_` prefix, base units in the name (`_bytes`,
/// `_seconds`), `_total` on counters. Every metric without dynamic labels exists from the
/// start, so a scrape shows it at 0 before anything happens. Labels have bounded values:
/// ``FragmentCloseReason`` for closes, and for API requests the action names the endpoint
/// answers (others are `unknown`) and the LVB envelope codes.
///
/// Recording is lock-free on the Prometheus backend (atomics); ``apiRequest(action:code:)``
/// takes a lock to find its labelled counter, once per request.
public final class ReelMetrics: Sendable {
    /// Why a fragment was closed: the `reason` label of ``fragmentsClosed(_:)``.
    public enum FragmentCloseReason: String, Sendable, CaseIterable {
        /// The next tag would have taken the fragment past the maximum fragment duration.
        case maxDuration = "max_duration"
        /// The publisher stopped, unpublished or went idle.
        case interruption = "interruption"
        /// The task ended: its end time, `StopRecord`, or its channel stopped or deleted.
        case taskEnded = "task_ended"
        /// The server shut down gracefully with the fragment open.
        case shutdown = "shutdown"
    }

    /// The tag type label of ``tagsWritten(_:)``.
    public enum TagKind: String, Sendable, CaseIterable {
        case audio, video, script
    }

    /// `reel_publishers_live` (gauge): RTMP publishers publishing now.
    public let publishersLive: Meter
    /// `reel_bytes_in_total` (counter): bytes read from RTMP connections, handshakes included.
    public let bytesIn: Counter
    /// `reel_fragments_opened_total` (counter): fragment files opened by recorders.
    public let fragmentsOpened: Counter
    /// `reel_fragments_open` (gauge): fragment files open now.
    public let fragmentsOpen: Meter
    /// `reel_fragment_close_duration_seconds` (histogram): from the decision to close a
    /// fragment to the fragment being complete on disk, registered in the store and listed.
    public let fragmentCloseDuration: Timer
    /// `reel_fragments_recovered_total` (counter): unfinished fragments of a crashed run
    /// finished and registered at start-up.
    public let fragmentsRecovered: Counter
    /// `reel_callback_deliveries_total` (counter): recording event callbacks delivered (the
    /// receiver answered success). Incremented by the event sender.
    public let callbackDeliveries: Counter
    /// `reel_callback_failures_total` (counter): callback delivery attempts that failed
    /// (network error, timeout or a non-success answer); a retried event counts each failure.
    /// Incremented by the event sender.
    public let callbackFailures: Counter

    private let closed: [FragmentCloseReason: Counter]
    private let tags: [TagKind: Counter]
    private let factory: any MetricsFactory
    private let apiRequests = Mutex<[APIKey: Counter]>([:])

    private struct APIKey: Hashable {
        var action: String
        var code: Int
    }

    /// Metric names, one place for the code and the docs.
    public enum Name {
        public static let publishersLive = "reel_publishers_live"
        public static let bytesIn = "reel_bytes_in_total"
        public static let tagsWritten = "reel_tags_written_total"
        public static let fragmentsOpened = "reel_fragments_opened_total"
        public static let fragmentsClosed = "reel_fragments_closed_total"
        public static let fragmentsOpen = "reel_fragments_open"
        public static let fragmentCloseDuration = "reel_fragment_close_duration_seconds"
        public static let fragmentsRecovered = "reel_fragments_recovered_total"
        public static let apiRequests = "reel_api_requests_total"
        public static let callbackDeliveries = "reel_callback_deliveries_total"
        public static let callbackFailures = "reel_callback_failures_total"
    }

    /// Creates every metric from `factory`.
    /// - Parameter factory: the backend; a server passes the factory of the registry it serves.
    public init(factory: any MetricsFactory) {
        self.factory = factory
        publishersLive = Meter(label: Name.publishersLive, factory: factory)
        bytesIn = Counter(label: Name.bytesIn, factory: factory)
        fragmentsOpened = Counter(label: Name.fragmentsOpened, factory: factory)
        fragmentsOpen = Meter(label: Name.fragmentsOpen, factory: factory)
        fragmentCloseDuration = Timer(label: Name.fragmentCloseDuration, factory: factory)
        fragmentsRecovered = Counter(label: Name.fragmentsRecovered, factory: factory)
        callbackDeliveries = Counter(label: Name.callbackDeliveries, factory: factory)
        callbackFailures = Counter(label: Name.callbackFailures, factory: factory)
        var closed: [FragmentCloseReason: Counter] = [:]
        for reason in FragmentCloseReason.allCases {
            closed[reason] = Counter(
                label: Name.fragmentsClosed,
                dimensions: [("reason", reason.rawValue)],
                factory: factory
            )
        }
        self.closed = closed
        var tags: [TagKind: Counter] = [:]
        for kind in TagKind.allCases {
            tags[kind] = Counter(label: Name.tagsWritten, dimensions: [("type", kind.rawValue)], factory: factory)
        }
        self.tags = tags
    }

    /// Metrics that go nowhere: the default of components built without a registry.
    public static let noop = ReelMetrics(factory: NOOPMetricsHandler.instance)

    /// `reel_fragments_closed_total{reason}` (counter): fragments closed, completed and registered.
    public func fragmentsClosed(_ reason: FragmentCloseReason) -> Counter { closed[reason]! }

    /// `reel_tags_written_total{type}` (counter): tags committed to fragment files, the
    /// `onMetaData` and sequence headers at each fragment's front included.
    public func tagsWritten(_ kind: TagKind) -> Counter { tags[kind]! }

    /// Counts one API request: `reel_api_requests_total{action,code}`.
    /// - Parameters:
    ///   - action: the action name, or `unknown`; the caller keeps the set of values bounded.
    ///   - code: the `code` of the LVB response envelope (0 on success).
    public func apiRequest(action: String, code: Int) {
        let key = APIKey(action: action, code: code)
        let factory = self.factory
        let counter = apiRequests.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(
                label: Name.apiRequests,
                dimensions: [("action", action), ("code", String(code))],
                factory: factory
            )
            counters[key] = counter
            return counter
        }
        counter.increment()
    }
}

extension Timer {
    /// Records a `Duration` (swift-metrics timers take nanoseconds).
    public func recordDuration(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
