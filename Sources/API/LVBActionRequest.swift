import LVB

/// What an action handler is given: the authenticated request's parameters and where it came from.
public struct LVBActionRequest: Sendable {
    public var action: String
    public var parameters: LVBParameters
    /// The host name the client called (from `Host`, port removed), if it sent one.
    public var requestHost: String?
    /// The server's clock when the request arrived, Unix seconds.
    public var now: Int64

    public init(action: String, parameters: LVBParameters, requestHost: String?, now: Int64) {
        self.action = action
        self.parameters = parameters
        self.requestHost = requestHost
        self.now = now
    }
}

extension LVBActionRequest {
    /// The host to put into returned addresses: the configured public host, else the host the
    /// client called, else `localhost`; an IPv6 literal is bracketed.
    public func addressHost(publicHost: String?) -> String {
        Self.addressHost(publicHost: publicHost, requestHost: requestHost)
    }

    /// ``addressHost(publicHost:)`` for a request host known apart from a request.
    public static func addressHost(publicHost: String?, requestHost: String?) -> String {
        let host = publicHost ?? requestHost ?? "localhost"
        return host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }
}

/// The fields an action adds to the envelope after `code`, `message` and `codeDesc`.
public typealias LVBFields = [(String, LVBJSON)]

/// One API action: reads its parameters, does its work, returns its fields.
public typealias LVBActionHandler = @Sendable (LVBActionRequest) async throws -> LVBFields

extension LVBJSON {
    /// The envelope of a success (spec §5): `code` 0, empty `message`, `codeDesc` `Success`, then `fields`.
    public static func success(_ fields: LVBFields) -> LVBJSON {
        .object([("code", .int(0)), ("message", .string("")), ("codeDesc", .string("Success"))] + fields)
    }

    /// The envelope of an error (spec §5).
    public static func failure(_ error: LVBError) -> LVBJSON {
        .object([
            ("code", .int(Int64(error.code.rawValue))), ("message", .string(error.message)),
            ("codeDesc", .string(error.code.codeDesc)),
        ])
    }
}
