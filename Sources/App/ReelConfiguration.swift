import LVB
import Logging

/// Every setting of `reel serve`, with its default.
///
/// Settings are resolved from, highest first: command-line flags, `REEL_*` environment
/// variables, a config file of `name = value` lines, and the defaults below (see
/// ``resolve(flags:environment:configFile:)``). Names are the flag names without dashes.
public struct ReelConfiguration: Sendable {
    /// Address the HTTP and RTMP servers bind to. Default `0.0.0.0`.
    public var bindHost: String = "0.0.0.0"
    /// HTTP port (API, health, playback). Default 8080; 0 picks a free port.
    public var httpPort: Int = 8080
    /// RTMP ingest port. Default 1935.
    public var rtmpPort: Int = 1935
    /// Data folder: the SQLite store, credentials, recordings. Default `./reel-data`.
    public var dataDirectory: String = "./reel-data"
    /// API credentials; generated and kept in the data folder when not given.
    public var secretId: String?
    public var secretKey: String?
    /// Zone of the API's date-times. Default `+08:00` (the original service's).
    public var apiTimeZone: LVBTimeZone = .chinaStandardTime
    /// Host put into returned addresses; default: the host the client called.
    public var publicHost: String?
    /// The number in stream ids and vids. Default `1000`.
    public var bizId: String = "1000"
    /// Lifetime of a returned push address, seconds. Default one year.
    public var pushAuthLifetime: Int64 = 365 * 86_400
    /// Host names accepted in signatures besides the request's own. Default `live.api.qcloud.com`.
    public var canonicalHost: String = "live.api.qcloud.com"
    /// Most parameters per API request. Default 512.
    public var maxParameters: Int = 512
    /// Largest API query string or body, bytes. Default 65,536.
    public var maxRequestBytes: Int = 64 * 1024
    /// Most nonces remembered by the replay guard. Default 500,000.
    public var maxRememberedNonces: Int = 500_000
    /// Most RTMP connections at once. Default 1,024.
    public var rtmpMaxConnections: Int = 1024
    /// Seconds allowed for an RTMP handshake. Default 10.
    public var rtmpHandshakeTimeout: Int = 10
    /// Seconds without a complete RTMP message before the connection closes. Default 20.
    public var rtmpIdleTimeout: Int = 20
    /// Most media time in one recorded fragment, seconds. Default 1800 (DESIGN.md §2).
    public var maxFragmentDuration: Int = 1800
    /// Prefix of returned play URLs (`<prefix>/<vid>.f0.flv`); default `http://<public host>:<http port>`.
    public var vodBaseURL: String?
    /// When set, play URLs must be signed with this key (`t` and `sign`); default: public.
    public var playKey: String?
    /// How long a returned signed play URL stays valid, seconds. Default 86,400.
    public var playURLLifetime: Int64 = 86_400
    /// Where recording events are POSTed (spec §9); default: no events.
    public var callbackURL: String?
    /// The key events are signed with (`sign = md5(key + t)`); required with a callback URL.
    public var callbackKey: String?
    /// Log level. Default `info`.
    public var logLevel: Logger.Level = .info

    public init() {}

    /// A setting's name, its environment variable, and its help.
    public struct Setting: Sendable {
        public var name: String
        public var help: String

        public var environmentVariable: String {
            "REEL_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
        }
    }

    /// Every setting, in the order the README lists them.
    public static let settings: [Setting] = [
        Setting(name: "http-port", help: "HTTP port: API, /healthz, playback (default 8080)"),
        Setting(name: "rtmp-port", help: "RTMP ingest port (default 1935)"),
        Setting(name: "data", help: "data folder: store, credentials, recordings (default ./reel-data)"),
        Setting(name: "secret-id", help: "API SecretId (default: generated on first start, kept in the data folder)"),
        Setting(name: "secret-key", help: "API SecretKey (default: generated with the SecretId)"),
        Setting(name: "api-timezone", help: "zone of API date-times, like +08:00 (default +08:00)"),
        Setting(name: "public-host", help: "host name put into returned addresses (default: the host the client called)"),
        Setting(name: "bind", help: "address the servers listen on (default 0.0.0.0)"),
        Setting(name: "biz-id", help: "number used in stream ids and vids (default 1000)"),
        Setting(name: "push-auth-lifetime", help: "seconds a returned push address stays valid (default 31536000)"),
        Setting(name: "canonical-host", help: "host name also accepted when checking signatures (default live.api.qcloud.com)"),
        Setting(name: "max-parameters", help: "most parameters per API request (default 512)"),
        Setting(name: "max-request-bytes", help: "largest API query or body in bytes (default 65536)"),
        Setting(name: "max-remembered-nonces", help: "most nonces the replay guard remembers (default 500000)"),
        Setting(name: "rtmp-max-connections", help: "most RTMP connections at once (default 1024)"),
        Setting(name: "rtmp-handshake-timeout", help: "seconds allowed for an RTMP handshake (default 10)"),
        Setting(name: "rtmp-idle-timeout", help: "seconds without a complete RTMP message before closing (default 20)"),
        Setting(name: "max-fragment-duration", help: "most seconds of media in one recorded fragment (default 1800)"),
        Setting(name: "vod-base-url", help: "prefix of returned play URLs (default http://<public host>:<http port>)"),
        Setting(name: "play-key", help: "key play URLs must be signed with, t and sign (default: recordings are public)"),
        Setting(name: "play-url-lifetime", help: "seconds a returned signed play URL stays valid (default 86400)"),
        Setting(name: "callback-url", help: "URL recording events are POSTed to (default: no events)"),
        Setting(name: "callback-key", help: "key events are signed with, sign = md5(key + t); needed with callback-url"),
        Setting(name: "log-level", help: "trace, debug, info, notice, warning, error or critical (default info)"),
    ]

    /// An invalid setting value.
    public struct InvalidSetting: Error, CustomStringConvertible {
        public var name: String
        public var value: String
        public var reason: String
        public var description: String { "invalid value '\(value)' for \(name): \(reason)" }
    }

    /// Resolves the configuration from its sources.
    /// - Parameters:
    ///   - flags: values given on the command line, by setting name.
    ///   - environment: the process environment (only `REEL_*` names are read).
    ///   - configFile: the text of the config file, if any: `name = value` lines, `#` comments.
    /// - Throws: ``InvalidSetting`` for a bad value or an unknown name in the config file.
    public static func resolve(
        flags: [String: String], environment: [String: String], configFile: String?
    ) throws -> ReelConfiguration {
        var fileValues: [String: String] = [:]
        for (number, rawLine) in (configFile ?? "").split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, settings.contains(where: { $0.name == parts[0] }) else {
                throw InvalidSetting(name: "config file line \(number + 1)", value: line, reason: "expected 'name = value' with a known name")
            }
            fileValues[parts[0]] = parts[1]
        }
        var configuration = ReelConfiguration()
        for setting in settings {
            guard let value = flags[setting.name] ?? environment[setting.environmentVariable] ?? fileValues[setting.name]
            else { continue }
            try configuration.apply(setting.name, value)
        }
        if configuration.callbackURL != nil && configuration.callbackKey == nil {
            throw InvalidSetting(
                name: "callback-key", value: "", reason: "events are signed: give a callback key with the callback URL"
            )
        }
        return configuration
    }

    private mutating func apply(_ name: String, _ value: String) throws {
        func integer(_ range: ClosedRange<Int>) throws -> Int {
            guard let number = Int(value), range.contains(number) else {
                throw InvalidSetting(name: name, value: value, reason: "expected an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        switch name {
        case "http-port": httpPort = try integer(0...65535)
        case "rtmp-port": rtmpPort = try integer(0...65535)
        case "data": dataDirectory = value
        case "secret-id": secretId = value.isEmpty ? nil : value
        case "secret-key": secretKey = value.isEmpty ? nil : value
        case "api-timezone":
            guard let zone = LVBTimeZone(parsing: value) else {
                throw InvalidSetting(name: name, value: value, reason: "expected an offset like +08:00, or UTC")
            }
            apiTimeZone = zone
        case "public-host": publicHost = value.isEmpty ? nil : value
        case "bind": bindHost = value
        case "biz-id":
            guard !value.isEmpty, value.allSatisfy(\.isNumber), value.count <= 10 else {
                throw InvalidSetting(name: name, value: value, reason: "expected up to 10 decimal digits")
            }
            bizId = value
        case "push-auth-lifetime": pushAuthLifetime = Int64(try integer(60...(100 * 365 * 86_400)))
        case "canonical-host": canonicalHost = value.lowercased()
        case "max-parameters": maxParameters = try integer(16...100_000)
        case "max-request-bytes": maxRequestBytes = try integer(1024...(16 << 20))
        case "max-remembered-nonces": maxRememberedNonces = try integer(1000...100_000_000)
        case "rtmp-max-connections": rtmpMaxConnections = try integer(1...1_000_000)
        case "rtmp-handshake-timeout": rtmpHandshakeTimeout = try integer(1...3600)
        case "rtmp-idle-timeout": rtmpIdleTimeout = try integer(1...3600)
        case "max-fragment-duration": maxFragmentDuration = try integer(1...86_400)
        case "vod-base-url":
            guard value.isEmpty || value.hasPrefix("http://") || value.hasPrefix("https://") else {
                throw InvalidSetting(name: name, value: value, reason: "expected an http:// or https:// URL")
            }
            vodBaseURL = value.isEmpty ? nil : value
        case "play-key": playKey = value.isEmpty ? nil : value
        case "play-url-lifetime": playURLLifetime = Int64(try integer(60...(100 * 365 * 86_400)))
        case "callback-url":
            guard value.isEmpty || value.hasPrefix("http://") || value.hasPrefix("https://") else {
                throw InvalidSetting(name: name, value: value, reason: "expected an http:// or https:// URL")
            }
            callbackURL = value.isEmpty ? nil : value
        case "callback-key": callbackKey = value.isEmpty ? nil : value
        case "log-level":
            guard let level = Logger.Level(rawValue: value) else {
                throw InvalidSetting(name: name, value: value, reason: "expected trace, debug, info, notice, warning, error or critical")
            }
            logLevel = level
        default: preconditionFailure("setting \(name) is listed but not applied")
        }
    }
}
