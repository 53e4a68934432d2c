import API
import NIOCore
import Foundation
import Hummingbird
import LVB
import Logging
import Prometheus
import Store
import Telemetry

/// What a running server is made of, built from a configuration so tests can build the same.
public struct ReelDependencies: Sendable {
    public var store: any RecordingStore
    public var credentials: Credentials
    /// The server's clock, Unix seconds.
    public var now: @Sendable () -> Int64
    public var publishers: (any LivePublisherControl)?
    /// The ports put into returned addresses; updated when the servers bind.
    public var ports: ListeningPorts
    /// The registry `/metrics` serves: this server's own, so servers in one process (tests)
    /// never share counters and the process-wide `MetricsSystem` is never bootstrapped.
    public let metricsRegistry: PrometheusCollectorRegistry
    /// The metrics the services record, made from ``metricsRegistry``.
    public let metrics: ReelMetrics

    /// - Parameter metricsRegistry: where metrics are kept; a new, empty registry by default.
    public init(
        store: any RecordingStore, credentials: Credentials,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
        publishers: (any LivePublisherControl)? = nil,
        ports: ListeningPorts = ListeningPorts(http: 8080, rtmp: 1935),
        metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) {
        self.store = store
        self.credentials = credentials
        self.now = now
        self.publishers = publishers
        self.ports = ports
        self.metricsRegistry = metricsRegistry
        self.metrics = ReelMetrics(factory: PrometheusMetricsFactory(registry: metricsRegistry))
    }
}

/// The API credentials in force: the configured pair when given, else the data folder's.
public func apiKeys(_ configuration: ReelConfiguration, _ credentials: Credentials) -> (secretId: String, secretKey: String) {
    if let id = configuration.secretId, let key = configuration.secretKey { return (id, key) }
    return (credentials.secretId, credentials.secretKey)
}

/// Builds the HTTP router: the LVB endpoint, the VOD library (`/<vid>.f0.flv`), `/healthz` and
/// `/metrics` (the Prometheus text format of ``ReelDependencies/metricsRegistry``).
public func buildRouter(
    _ configuration: ReelConfiguration, _ dependencies: ReelDependencies,
    logger: Logger = Logger(label: "reel.http")
) -> Router<BasicRequestContext> {
    let keys = apiKeys(configuration, dependencies.credentials)
    let channels = ChannelActions(
        store: dependencies.store,
        settings: .init(
            publicHost: configuration.publicHost, ports: dependencies.ports,
            bizId: configuration.bizId, pushKey: dependencies.credentials.pushKey,
            pushAuthLifetime: configuration.pushAuthLifetime, timeZone: configuration.apiTimeZone
        ),
        publishers: dependencies.publishers
    )
    let records = recordActions(configuration, dependencies)
    let endpoint = LVBEndpoint(
        configuration: .init(
            parameterLimits: .init(maxCount: configuration.maxParameters, maxEncodedBytes: configuration.maxRequestBytes)
        ),
        authenticator: LVBAuthenticator(
            keys: [keys.secretId: keys.secretKey], canonicalHosts: [configuration.canonicalHost],
            replayGuard: LVBReplayGuard(configuration: .init(maxRememberedNonces: configuration.maxRememberedNonces))
        ),
        handlers: channels.handlers.merging(records.handlers) { first, _ in first },
        now: dependencies.now,
        metrics: dependencies.metrics
    )
    let router = Router()
    endpoint.register(on: router)
    router.get("/healthz") { _, _ in "ok\n" }
    router.get("/metrics") { [registry = dependencies.metricsRegistry] _, _ in metricsResponse(registry) }
    FragmentFileResponder(
        store: dependencies.store, dataDirectory: configuration.dataDirectory, playKey: configuration.playKey,
        now: dependencies.now, logger: logger
    ).register(on: router)
    return router
}

/// The recording actions of a server (also what builds play URLs for events).
func recordActions(_ configuration: ReelConfiguration, _ dependencies: ReelDependencies) -> RecordActions {
    RecordActions(
        store: dependencies.store,
        settings: .init(
            timeZone: configuration.apiTimeZone, publicHost: configuration.publicHost, ports: dependencies.ports,
            vodBaseURL: configuration.vodBaseURL, playKey: configuration.playKey,
            playURLLifetime: configuration.playURLLifetime
        )
    )
}

/// Builds the HTTP application of a server.
public func buildApplication(
    _ configuration: ReelConfiguration, _ dependencies: ReelDependencies, logger: Logger,
    onServerRunning: @escaping @Sendable (any NIOCore.Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(configuration, dependencies, logger: logger),
        configuration: .init(address: .hostname(configuration.bindHost, port: configuration.httpPort), serverName: "Reel"),
        onServerRunning: onServerRunning,
        logger: logger
    )
}

/// The Prometheus text exposition (format 0.0.4) of `registry`.
func metricsResponse(_ registry: PrometheusCollectorRegistry) -> Response {
    var bytes: [UInt8] = []
    registry.emit(into: &bytes)
    return Response(
        status: .ok,
        headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
    )
}
