import Hummingbird
import LVB
import Logging
import NIOCore
import Telemetry

/// `/v2/index.php`: decodes the parameters (GET from the query, POST from the form body),
/// authenticates the request, runs its action, and always answers HTTP 200 with the JSON
/// envelope (spec §1–5).
public struct LVBEndpoint: Sendable {
    /// Limits of the endpoint, each with a safe default.
    public struct Configuration: Sendable {
        /// Limits on the parameters (count, encoded size, name length).
        public var parameterLimits: LVBParameters.Limits

        public init(parameterLimits: LVBParameters.Limits = .default) {
            self.parameterLimits = parameterLimits
        }
    }

    public static let path = "/v2/index.php"

    public let configuration: Configuration
    public let authenticator: LVBAuthenticator
    private let handlers: [String: LVBActionHandler]
    private let now: @Sendable () -> Int64
    private let metrics: ReelMetrics

    /// - Parameters:
    ///   - handlers: the actions by name (`CreateLVBChannel`, ...).
    ///   - now: the server's clock in Unix seconds; injected so tests control time.
    ///   - metrics: counts every answered request in `reel_api_requests_total{action,code}`.
    public init(
        configuration: Configuration = .init(),
        authenticator: LVBAuthenticator,
        handlers: [String: LVBActionHandler],
        now: @escaping @Sendable () -> Int64,
        metrics: ReelMetrics = .noop
    ) {
        self.configuration = configuration
        self.authenticator = authenticator
        self.handlers = handlers
        self.now = now
        self.metrics = metrics
    }

    /// The `action` label of a request: its `Action` parameter when this endpoint answers that
    /// action, else `unknown`, so made-up names cannot grow the label set.
    func actionLabel(_ action: String?) -> String {
        guard let action, handlers[action] != nil else { return "unknown" }
        return action
    }

    /// The action names this endpoint answers.
    public var actions: [String] { handlers.keys.sorted() }

    /// Adds the endpoint's routes to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        for method in [HTTPRequest.Method.get, .post] {
            router.on(RouterPath(Self.path), method: method) { request, context in
                await self.respond(to: request, logger: context.logger)
            }
        }
        for method in [HTTPRequest.Method.put, .delete, .patch, .head, .options] {
            router.on(RouterPath(Self.path), method: method) { request, context in
                let error = LVBError(.invalidParameter, nil, "method \(request.method) is not supported: use GET or POST")
                self.metrics.apiRequest(action: "unknown", code: Int(error.code.rawValue))
                return Self.response(.failure(error))
            }
        }
    }

    /// Answers one request with the envelope.
    public func respond(to request: Request, logger: Logger) async -> Response {
        let envelope: LVBJSON
        var request = request
        var logger = logger
        var actionName: String?
        do throws(LVBError) {
            let encoded: ByteBuffer
            if request.method == .post {
                do {
                    encoded = try await request.body.collect(upTo: configuration.parameterLimits.maxEncodedBytes)
                } catch {
                    throw LVBError(
                        .invalidParameter, .badInput,
                        "request body exceeds \(configuration.parameterLimits.maxEncodedBytes) bytes"
                    )
                }
            } else {
                encoded = ByteBuffer(string: request.uri.query ?? "")
            }
            let parameters = try LVBParameters(formEncoded: encoded.readableBytesView, limits: configuration.parameterLimits)
            actionName = parameters["Action"]
            if let channel = parameters["channelId"] { logger[metadataKey: "channel"] = "\(channel)" }
            if let task = parameters["taskId"] { logger[metadataKey: "task"] = "\(task)" }
            let arrival = now()
            let hostHeader = request.head.authority
            let action = try authenticator.authenticate(
                parameters, method: request.method.rawValue, hostHeader: hostHeader, now: arrival
            )
            envelope = .success(
                try await run(
                    LVBActionRequest(
                        action: action, parameters: parameters,
                        requestHost: hostHeader.flatMap(LVBAuthenticator.hostName), now: arrival
                    ),
                    logger: logger
                )
            )
            logger.info("api request", metadata: ["api.action": "\(action)", "api.code": "0"])
            metrics.apiRequest(action: actionLabel(action), code: 0)
        } catch {
            logger.info(
                "api request refused",
                metadata: ["api.code": "\(error.code.rawValue)", "api.message": "\(error.message)"]
            )
            metrics.apiRequest(action: actionLabel(actionName), code: Int(error.code.rawValue))
            envelope = .failure(error)
        }
        return Self.response(envelope)
    }

    private func run(_ request: LVBActionRequest, logger: Logger) async throws(LVBError) -> LVBFields {
        guard let handler = handlers[request.action] else {
            throw LVBError(.invalidParameter, nil, "unknown Action '\(request.action)'; supported: \(actions.joined(separator: ", "))")
        }
        do {
            return try await handler(request)
        } catch let error as LVBError {
            throw error
        } catch {
            logger.error("action failed", metadata: ["api.action": "\(request.action)", "error": "\(error)"])
            throw LVBError(.internalError, nil, "internal error while running \(request.action)")
        }
    }

    static func response(_ envelope: LVBJSON) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: envelope.encoded))
        )
    }
}
