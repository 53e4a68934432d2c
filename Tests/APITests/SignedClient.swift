import API
import App
import Hummingbird
import HummingbirdTesting
import LVB
import Logging
import NIOCore
import Store
import Synchronization
import Testing

/// A clock the tests move by hand (Unix seconds).
final class TestClock: Sendable {
    private let value: Mutex<Int64>
    init(_ start: Int64) { value = Mutex(start) }
    var now: Int64 { value.withLock { $0 } }
    func advance(_ seconds: Int64) { value.withLock { $0 += seconds } }
}

/// Builds a server on an in-memory store with known credentials and a test clock.
struct TestServer {
    static let secretId = "AKIDtestsecretid"
    static let secretKey = "testSecretKey0123456789"
    let configuration: ReelConfiguration
    let store: InMemoryRecordingStore
    let clock: TestClock
    let credentials = Credentials(secretId: secretId, secretKey: secretKey, pushKey: "pushKey0123")

    init(configure: (inout ReelConfiguration) -> Void = { _ in }) {
        var configuration = ReelConfiguration()
        configuration.httpPort = 0
        configure(&configuration)
        self.configuration = configuration
        self.store = InMemoryRecordingStore()
        self.clock = TestClock(1_800_000_000)
    }

    var application: some ApplicationProtocol {
        let clock = self.clock
        return buildApplication(
            configuration,
            ReelDependencies(
                store: store, credentials: credentials, now: { clock.now },
                ports: ListeningPorts(http: configuration.httpPort, rtmp: configuration.rtmpPort)
            ),
            logger: {
                var logger = Logger(label: "test")
                logger.logLevel = .warning
                return logger
            }()
        )
    }
}

/// Signs requests the way a chosen client would.
struct SignedClient {
    let client: any TestClientProtocol
    let server: TestServer
    var nonce = UInt64.random(in: 1...UInt64(UInt32.max))

    init(_ client: any TestClientProtocol, _ server: TestServer) {
        self.client = client
        self.server = server
    }

    struct Options {
        var method: HTTPRequest.Method = .get
        var canonicalization: LVBCanonicalization = .documented
        var signatureMethod: LVBSignatureMethod? = nil
        var host = "localhost"
        var secretKey = TestServer.secretKey
        var secretId = TestServer.secretId
        var timestamp: Int64? = nil
        var nonce: UInt64? = nil
        /// Changes applied after signing.
        var tamper: (inout [LVBParameters.Pair]) -> Void = { _ in }
    }

    /// Sends a signed request and parses the envelope; records an issue if it is not HTTP 200 JSON.
    mutating func call(_ action: String, _ parameters: [(String, String)] = [], options: Options = .init()) async throws -> LVBJSON {
        nonce += 1
        var pairs = [
            LVBParameters.Pair(name: "Action", value: action), .init(name: "Region", value: "gz"),
            .init(name: "Timestamp", value: String(options.timestamp ?? server.clock.now)),
            .init(name: "Nonce", value: String(options.nonce ?? nonce)),
            .init(name: "SecretId", value: options.secretId),
        ]
        if let signatureMethod = options.signatureMethod {
            pairs.append(.init(name: "SignatureMethod", value: signatureMethod.rawValue))
        }
        pairs += parameters.map { LVBParameters.Pair(name: $0.0, value: $0.1) }
        let stringToSign = LVBSignature.stringToSign(
            method: options.method.rawValue, host: options.host, pairs: pairs, canonicalization: options.canonicalization
        )
        pairs.append(
            .init(
                name: "Signature",
                value: LVBSignature.signature(of: stringToSign, secretKey: options.secretKey, method: options.signatureMethod ?? .hmacSHA1)
            )
        )
        options.tamper(&pairs)
        return try await send(LVBParameters.formEncode(pairs), method: options.method)
    }

    /// Sends raw encoded parameters.
    func send(_ encoded: String, method: HTTPRequest.Method = .get) async throws -> LVBJSON {
        let response =
            method == .get
            ? try await client.execute(uri: "/v2/index.php?" + encoded, method: .get)
            : try await client.execute(
                uri: "/v2/index.php", method: method, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: encoded)
            )
        return try Self.envelope(response)
    }

    static func envelope(_ response: TestResponse) throws -> LVBJSON {
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
        let json = try LVBJSON(parsing: String(buffer: response.body))
        #expect(json["code"]?.intValue != nil && json["message"]?.stringValue != nil && json["codeDesc"]?.stringValue != nil)
        return json
    }
}

extension LVBJSON {
    var code: Int64? { self["code"]?.intValue }
    var message: String { self["message"]?.stringValue ?? "" }
}
