import Events
import Foundation
import Hummingbird
import API
import Logging
import RTMPServer
import Recorder
import ServiceLifecycle
import Store

/// `reel serve`: opens the data folder, then runs every service until SIGINT or SIGTERM.
public enum ReelServer {
    /// Opens the data folder (creating it, its store and its credentials as needed).
    /// - Parameter announce: called with the credentials when they were generated now.
    public static func openDataDirectory(
        _ configuration: ReelConfiguration, logger: Logger, announce: (Credentials) -> Void
    ) throws -> ReelDependencies {
        try FileManager.default.createDirectory(
            atPath: configuration.dataDirectory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let (credentials, created) = try Credentials.loadOrCreate(dataDirectory: configuration.dataDirectory)
        if created && configuration.secretId == nil { announce(credentials) }
        let store = try SQLiteRecordingStore(
            path: URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("reel.sqlite").path,
            logger: logger
        )
        return ReelDependencies(
            store: store, credentials: credentials,
            ports: ListeningPorts(http: configuration.httpPort, rtmp: configuration.rtmpPort)
        )
    }

    /// Runs the server until a shutdown signal. Services start in the order event dispatcher
    /// (with a callback URL), recorder, HTTP, RTMP ingest, scheduler (after fragment recovery
    /// and library reconciliation), heap trimmer; shutdown is graceful and in reverse order,
    /// so ingest stops before the recorder completes the open fragments.
    /// - Parameter onHTTPRunning: called with the HTTP port once the server listens.
    public static func run(
        _ configuration: ReelConfiguration, dependencies: ReelDependencies, logger: Logger,
        onHTTPRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let dispatcher = callbackDispatcher(configuration, dependencies, logger: logger)
        let announcer =
            dispatcher.map { dispatcher in
                CallbackEvents(pushHost: eventHost(configuration)).announcer { dispatcher.wake() }
            } ?? .none
        let hub = ChannelHub(
            store: dependencies.store, pushKey: dependencies.credentials.pushKey, now: dependencies.now,
            announcer: announcer, logger: logger, metrics: dependencies.metrics
        )
        try await hub.recoverStatusAfterRestart()
        var dependencies = dependencies
        dependencies.publishers = hub
        let ports = dependencies.ports
        let app = buildApplication(configuration, dependencies, logger: logger) { channel in
            let port = channel.localAddress?.port ?? configuration.httpPort
            ports.http = port
            await onHTTPRunning(port)
        }
        let recorder = Recorder(
            configuration: .init(
                dataDirectory: configuration.dataDirectory, bizId: configuration.bizId,
                maximumFragmentDuration: .seconds(configuration.maxFragmentDuration)
            ),
            store: dependencies.store, source: hub, announcer: announcer, logger: logger, metrics: dependencies.metrics
        )
        // Unfinished fragments of a crashed run are finished before any push is accepted, then
        // the store and the blob store are made to agree.
        try await recorder.recoverUnfinishedFragments()
        try await recorder.reconcileLibrary()
        let ingest = RTMPIngestServer(
            configuration: rtmpConfiguration(configuration), hub: hub, logger: logger, metrics: dependencies.metrics
        ) { port in
            ports.rtmp = port
        }
        let scheduler = RecordScheduler(store: dependencies.store, recorder: recorder, now: dependencies.now, logger: logger)
        // Shutdown runs in reverse: the scheduler stops, ingest ends publishes (closing their
        // fragments), then the recorder completes what is still open.
        let services: [any Service] =
            (dispatcher.map { [$0] } ?? []) + [recorder, app, ingest, scheduler, HeapTrimmer(logger: logger)]
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }

    /// The event dispatcher, when a callback URL is configured.
    static func callbackDispatcher(
        _ configuration: ReelConfiguration, _ dependencies: ReelDependencies, logger: Logger
    ) -> CallbackDispatcher? {
        guard let url = configuration.callbackURL, let key = configuration.callbackKey else { return nil }
        let records = recordActions(configuration, dependencies)
        let (now, host) = (dependencies.now, eventHost(configuration))
        return CallbackDispatcher(
            configuration: .init(key: key), store: dependencies.store, transport: HTTPCallbackTransport(url: url),
            playURL: { vid in records.playURL(vid: vid, requestHost: host, now: now()) },
            nowMilliseconds: { Int64(Date().timeIntervalSince1970 * 1000) },
            onAttempt: { [metrics = dependencies.metrics] accepted in
                (accepted ? metrics.callbackDeliveries : metrics.callbackFailures).increment()
            },
            logger: logger
        )
    }

    /// The host events name in addresses, having no request to take one from: the public host,
    /// else the address the servers listen on, else (listening on every address) the machine's
    /// host name.
    static func eventHost(_ configuration: ReelConfiguration) -> String {
        if let host = configuration.publicHost { return host }
        let wildcard = ["0.0.0.0", "::", "[::]", ""].contains(configuration.bindHost)
        return wildcard ? ProcessInfo.processInfo.hostName : configuration.bindHost
    }

    /// The RTMP server's settings from the configuration.
    public static func rtmpConfiguration(_ configuration: ReelConfiguration) -> RTMPServerConfiguration {
        RTMPServerConfiguration(
            host: configuration.bindHost, port: configuration.rtmpPort,
            maxConnections: configuration.rtmpMaxConnections,
            handshakeTimeout: .seconds(Int64(configuration.rtmpHandshakeTimeout)),
            idleTimeout: .seconds(Int64(configuration.rtmpIdleTimeout))
        )
    }
}
