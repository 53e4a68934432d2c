/// The access layer of the endpoint: common parameters, signature and replay guard
/// (spec §2–4), applied before any action runs.
public struct LVBAuthenticator: Sendable {
    /// SecretKey by SecretId.
    public var keys: [String: String]
    /// Host names a client may have signed with besides the request's own `Host`
    /// (the canonical `live.api.qcloud.com` by default).
    public var canonicalHosts: [String]
    public let replayGuard: LVBReplayGuard

    public init(keys: [String: String], canonicalHosts: [String] = ["live.api.qcloud.com"], replayGuard: LVBReplayGuard)
    {
        self.keys = keys
        self.canonicalHosts = canonicalHosts
        self.replayGuard = replayGuard
    }

    /// Checks a request and returns its `Action`.
    /// - Parameters:
    ///   - parameters: the decoded request parameters.
    ///   - method: `GET` or `POST`.
    ///   - hostHeader: the request's `Host` (or `:authority`), port included or not.
    ///   - now: the server's clock, Unix seconds.
    /// - Throws: ``LVBError``: 4100 for a missing or wrong signature or SecretId, 4000 for a
    ///   missing or malformed common parameter, 4500 for a replay.
    public func authenticate(
        _ parameters: LVBParameters,
        method: String,
        hostHeader: String?,
        now: Int64
    ) throws(LVBError) -> String {
        guard parameters["Signature"]?.isEmpty == false else {
            throw LVBError(.authFailure, nil, "authentication failed: the Signature parameter is missing")
        }
        guard let secretId = parameters["SecretId"], !secretId.isEmpty else {
            throw LVBError(.authFailure, nil, "authentication failed: the SecretId parameter is missing")
        }
        guard let secretKey = keys[secretId] else {
            throw LVBError(.authFailure, nil, "authentication failed: SecretId does not exist")
        }
        let timestampText = try parameters.required("Timestamp")
        guard let timestamp = Int64(timestampText), timestamp >= 0 else {
            throw .invalidParameter("Timestamp", "'\(timestampText)' is not Unix seconds")
        }
        let nonceText = try parameters.required("Nonce")
        guard let nonce = UInt64(nonceText) else {
            throw .invalidParameter("Nonce", "'\(nonceText)' is not an unsigned integer")
        }
        var hosts = canonicalHosts
        if let requestHost = hostHeader.flatMap(Self.hostName), !hosts.contains(requestHost) {
            hosts.insert(requestHost, at: 0)
        }
        guard LVBSignature.isValid(parameters: parameters, method: method, hosts: hosts, secretKey: secretKey) else {
            throw LVBError(.authFailure, nil, "authentication failed: the Signature does not match the request")
        }
        try replayGuard.admit(secretId: secretId, nonce: nonce, timestamp: timestamp, now: now)
        return try parameters.required("Action")
    }

    /// The host name of a `Host` header: lower-cased, port removed, IPv6 brackets kept.
    public static func hostName(_ header: String) -> String? {
        let trimmed = header.trimmingSpaces.lowercased()
        guard !trimmed.isEmpty else { return nil }
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else { return nil }
            return String(trimmed[...close])
        }
        return String(trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0])
    }
}

extension String {
    var trimmingSpaces: String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
