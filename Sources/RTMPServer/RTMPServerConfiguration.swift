import NIOCore
import RTMPCore

/// Settings of the RTMP ingest server; every property has a documented default.
public struct RTMPServerConfiguration: Sendable {
    /// Address to listen on. Default `0.0.0.0`.
    public var host: String
    /// Port to listen on; 0 picks a free one. Default 1935.
    public var port: Int
    /// Limits of the chunk stream and AMF decoding (message length, chunk streams, ...);
    /// these win over `session.limits`.
    public var limits: RTMPLimits
    /// What the session announces (window size, peer bandwidth, outgoing chunk size).
    public var session: RTMPServerSession.Configuration
    /// Most connections open at once; more are closed on accept. Default 1,024.
    public var maxConnections: Int
    /// Time allowed for the whole handshake. Default 10 s.
    public var handshakeTimeout: TimeAmount
    /// Time allowed without one complete message before the connection is closed, which
    /// also ends a publish (an interruption). Default 20 s.
    public var idleTimeout: TimeAmount

    public init(
        host: String = "0.0.0.0",
        port: Int = 1935,
        limits: RTMPLimits = .default,
        session: RTMPServerSession.Configuration = .init(),
        maxConnections: Int = 1024,
        handshakeTimeout: TimeAmount = .seconds(10),
        idleTimeout: TimeAmount = .seconds(20)
    ) {
        self.host = host
        self.port = port
        self.limits = limits
        self.session = session
        self.maxConnections = maxConnections
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
    }
}
