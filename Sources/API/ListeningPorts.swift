import Synchronization

/// The ports the servers really listen on, for the addresses the API returns: a configured
/// port of 0 becomes the one the system picked once the server is bound.
public final class ListeningPorts: Sendable {
    private let httpPort: Atomic<Int>
    private let rtmpPort: Atomic<Int>

    public init(http: Int, rtmp: Int) {
        httpPort = Atomic(http)
        rtmpPort = Atomic(rtmp)
    }

    public var http: Int {
        get { httpPort.load(ordering: .relaxed) }
        set { httpPort.store(newValue, ordering: .relaxed) }
    }

    public var rtmp: Int {
        get { rtmpPort.load(ordering: .relaxed) }
        set { rtmpPort.store(newValue, ordering: .relaxed) }
    }
}
