import App
import ArgumentParser
import Foundation
import Logging

/// `reel serve`: runs the server.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server (RTMP ingest, HTTP API).",
        discussion: """
            Settings come from flags, then REEL_* environment variables (REEL_HTTP_PORT, ...), then \
            the config file (--config or REEL_CONFIG; 'name = value' lines), then defaults.
            """
    )

    @Option(help: "A config file of 'name = value' lines.") var config: String?
    @Option(name: .customLong("http-port"), help: "HTTP port (default 8080).") var httpPort: String?
    @Option(name: .customLong("rtmp-port"), help: "RTMP ingest port (default 1935).") var rtmpPort: String?
    @Option(help: "Data folder (default ./reel-data).") var data: String?
    @Option(name: .customLong("secret-id"), help: "API SecretId (default: generated and kept in the data folder).") var secretId: String?
    @Option(name: .customLong("secret-key"), help: "API SecretKey.") var secretKey: String?
    @Option(name: .customLong("api-timezone"), help: "Zone of API date-times (default +08:00).") var apiTimezone: String?
    @Option(name: .customLong("public-host"), help: "Host name put into returned addresses.") var publicHost: String?
    @Option(help: "Address to listen on (default 0.0.0.0).") var bind: String?
    @Option(name: .customLong("biz-id"), help: "Number used in stream ids and vids (default 1000).") var bizId: String?
    @Option(name: .customLong("push-auth-lifetime"), help: "Seconds a push address stays valid.") var pushAuthLifetime: String?
    @Option(name: .customLong("canonical-host"), help: "Host also accepted in signatures.") var canonicalHost: String?
    @Option(name: .customLong("max-parameters"), help: "Most parameters per API request.") var maxParameters: String?
    @Option(name: .customLong("max-request-bytes"), help: "Largest API query or body.") var maxRequestBytes: String?
    @Option(name: .customLong("max-remembered-nonces"), help: "Replay guard memory, in nonces.") var maxRememberedNonces: String?
    @Option(name: .customLong("rtmp-max-connections"), help: "Most RTMP connections at once.") var rtmpMaxConnections: String?
    @Option(name: .customLong("rtmp-handshake-timeout"), help: "Seconds allowed for an RTMP handshake.") var rtmpHandshakeTimeout: String?
    @Option(name: .customLong("rtmp-idle-timeout"), help: "Seconds without an RTMP message before closing.") var rtmpIdleTimeout: String?
    @Option(name: .customLong("max-fragment-duration"), help: "Most seconds of media per recorded fragment (default 1800).") var maxFragmentDuration: String?
    @Option(name: .customLong("vod-base-url"), help: "Prefix of returned play URLs.") var vodBaseURL: String?
    @Option(name: .customLong("play-key"), help: "Key play URLs must be signed with (default: public).") var playKey: String?
    @Option(name: .customLong("play-url-lifetime"), help: "Seconds a signed play URL stays valid (default 86400).") var playURLLifetime: String?
    @Option(name: .customLong("callback-url"), help: "URL recording events are POSTed to.") var callbackURL: String?
    @Option(name: .customLong("callback-key"), help: "Key events are signed with: md5(key + t).") var callbackKey: String?
    @Option(name: .customLong("log-level"), help: "Log level (default info).") var logLevel: String?

    func run() async throws {
        let flags: [String: String?] = [
            "http-port": httpPort, "rtmp-port": rtmpPort, "data": data, "secret-id": secretId,
            "secret-key": secretKey, "api-timezone": apiTimezone, "public-host": publicHost, "bind": bind,
            "biz-id": bizId, "push-auth-lifetime": pushAuthLifetime, "canonical-host": canonicalHost,
            "max-parameters": maxParameters, "max-request-bytes": maxRequestBytes,
            "max-remembered-nonces": maxRememberedNonces, "rtmp-max-connections": rtmpMaxConnections,
            "rtmp-handshake-timeout": rtmpHandshakeTimeout, "rtmp-idle-timeout": rtmpIdleTimeout, "max-fragment-duration": maxFragmentDuration,
            "vod-base-url": vodBaseURL, "play-key": playKey, "play-url-lifetime": playURLLifetime,
            "callback-url": callbackURL, "callback-key": callbackKey, "log-level": logLevel,
        ]
        let environment = ProcessInfo.processInfo.environment
        let configPath = config ?? environment["REEL_CONFIG"]
        let configText = try configPath.map { try String(contentsOfFile: $0, encoding: .utf8) }
        let configuration: ReelConfiguration
        do {
            configuration = try ReelConfiguration.resolve(
                flags: flags.compactMapValues { $0 }, environment: environment, configFile: configText
            )
        } catch let error as ReelConfiguration.InvalidSetting {
            throw ValidationError(error.description)
        }
        guard (configuration.secretId == nil) == (configuration.secretKey == nil) else {
            throw ValidationError("give both --secret-id and --secret-key, or neither")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "reel")
        let dependencies = try ReelServer.openDataDirectory(configuration, logger: logger) { credentials in
            // Written at once: standard output may be a file or a pipe, which buffer `print`.
            FileHandle.standardOutput.write(Data(Self.firstStartBanner(credentials, configuration).utf8))
        }
        try await ReelServer.run(configuration, dependencies: dependencies, logger: logger) { port in
            logger.notice("reel is serving", metadata: ["http.port": "\(port)", "data": "\(configuration.dataDirectory)"])
        }
    }

    static func firstStartBanner(_ credentials: Credentials, _ configuration: ReelConfiguration) -> String {
        """
        Reel generated API credentials on this first start and keeps them in \
        \(configuration.dataDirectory)/\(Credentials.fileName) (mode 0600):

            SecretId:  \(credentials.secretId)
            SecretKey: \(credentials.secretKey)

        Try it (reel api reads the same data folder, or REEL_SECRET_ID / REEL_SECRET_KEY):

            reel api CreateLVBChannel channelName=demo outputSourceType=1 \\
                sourceList.1.name=cam sourceList.1.type=1 \\
                --endpoint http://127.0.0.1:\(configuration.httpPort)/v2/index.php

        """
    }
}
