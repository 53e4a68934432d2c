import Synchronization

/// Refuses replayed requests (spec §4): a `Timestamp` more than the window away from the
/// server's clock, or a `Nonce` that the same SecretId already used inside the window.
///
/// Memory is bounded: a nonce is remembered only until its request could no longer pass the
/// timestamp check, and at most ``Configuration/maxRememberedNonces`` are kept; past that,
/// new requests are refused (4400) rather than risking a replay.
public final class LVBReplayGuard: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// How far `Timestamp` may be from the server's clock, in seconds. Default 7200 (2 h).
        public var windowSeconds: Int64
        /// Most nonces remembered at once. Default 500,000.
        public var maxRememberedNonces: Int

        public init(windowSeconds: Int64 = 7200, maxRememberedNonces: Int = 500_000) {
            self.windowSeconds = windowSeconds
            self.maxRememberedNonces = maxRememberedNonces
        }
    }

    private struct Key: Hashable {
        var secretId: String
        var nonce: UInt64
    }

    private struct State {
        /// When each remembered nonce may be forgotten (Unix seconds).
        var forgetAt: [Key: Int64] = [:]
        var nextSweep: Int64 = .min
    }

    public let configuration: Configuration
    private let state = Mutex(State())

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// The number of nonces remembered now.
    public var rememberedCount: Int { state.withLock { $0.forgetAt.count } }

    /// Checks a request's `Timestamp` and `Nonce` and, when both pass, remembers the nonce.
    /// - Parameters:
    ///   - now: the server's clock, Unix seconds.
    /// - Throws: ``LVBError`` 4500 for a replay or a timestamp outside the window, 4400 when
    ///   the nonce memory is full.
    public func admit(secretId: String, nonce: UInt64, timestamp: Int64, now: Int64) throws(LVBError) {
        let window = configuration.windowSeconds
        guard timestamp >= now - window, timestamp <= now + window else {
            throw Self.replayError(now: now)
        }
        let key = Key(secretId: secretId, nonce: nonce)
        let result: LVBError? = state.withLock { state in
            if now >= state.nextSweep || state.forgetAt.count >= configuration.maxRememberedNonces {
                state.forgetAt = state.forgetAt.filter { $0.value > now }
                state.nextSweep = now + 60
            }
            if let forget = state.forgetAt[key], forget > now {
                return Self.replayError(now: now)
            }
            guard state.forgetAt.count < configuration.maxRememberedNonces else {
                return LVBError(
                    .requestLimitExceeded,
                    nil,
                    "too many requests inside the replay window; try again later"
                )
            }
            // A later request with this nonce could pass the timestamp check until both the
            // request's own timestamp and the present are out of the window.
            state.forgetAt[key] = max(timestamp, now) + window + 1
            return nil
        }
        if let result { throw result }
    }

    private static func replayError(now: Int64) -> LVBError {
        LVBError(
            .replay,
            nil,
            "request rejected as a replay: a Nonce may not repeat, and Timestamp may differ from the server's by at most 2 hours; server Timestamp = \(now)"
        )
    }
}
