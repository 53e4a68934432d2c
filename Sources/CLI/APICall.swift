import App
import ArgumentParser
import AsyncHTTPClient
import Foundation
import LVB
import NIOCore

/// `reel api <Action> key=value ...`: signs and sends one API request and prints the answer.
struct APICall: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Sign and send one LVB API request to a running server; print the JSON answer.",
        discussion: """
            Credentials come from --secret-id/--secret-key, else REEL_SECRET_ID/REEL_SECRET_KEY, \
            else the credentials file of the data folder (--data, REEL_DATA, default ./reel-data). \
            Exits 1 when the answer's code is not 0.
            """
    )

    @Argument(help: "The action, such as CreateLVBChannel.") var action: String
    @Argument(help: "Action parameters as name=value (array items as name.1=value).") var parameters: [String] = []
    @Option(help: "The endpoint URL (default $REEL_ENDPOINT or http://127.0.0.1:8080/v2/index.php).") var endpoint: String?
    @Option(name: .customLong("secret-id")) var secretId: String?
    @Option(name: .customLong("secret-key")) var secretKey: String?
    @Option(help: "Data folder holding credentials.json (default $REEL_DATA or ./reel-data).") var data: String?
    @Option(help: "GET or POST.") var method: String = "GET"
    @Option(name: .customLong("signature-method"), help: "HmacSHA1 or HmacSHA256.") var signatureMethod: String = "HmacSHA1"
    @Option(help: "The Region common parameter.") var region: String = "gz"

    func validate() throws {
        guard ["GET", "POST"].contains(method.uppercased()) else { throw ValidationError("--method is GET or POST") }
        guard LVBSignatureMethod(rawValue: signatureMethod) != nil else {
            throw ValidationError("--signature-method is HmacSHA1 or HmacSHA256")
        }
        for parameter in parameters where !parameter.contains("=") {
            throw ValidationError("'\(parameter)' is not name=value")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let endpointText = endpoint ?? environment["REEL_ENDPOINT"] ?? "http://127.0.0.1:8080/v2/index.php"
        guard let url = URL(string: endpointText), let host = url.host else {
            throw ValidationError("'\(endpointText)' is not an http URL")
        }
        var id = secretId ?? environment["REEL_SECRET_ID"]
        var key = secretKey ?? environment["REEL_SECRET_KEY"]
        if id == nil || key == nil {
            let folder = data ?? environment["REEL_DATA"] ?? "./reel-data"
            guard let stored = try Credentials.load(dataDirectory: folder) else {
                throw ValidationError("no credentials: give --secret-id and --secret-key, or --data with a server's data folder")
            }
            id = id ?? stored.secretId
            key = key ?? stored.secretKey
        }
        let httpMethod = method.uppercased()
        let pairs = try signedPairs(secretId: id!, secretKey: key!, method: httpMethod, host: host)
        let encoded = LVBParameters.formEncode(pairs)

        var request: HTTPClientRequest
        if httpMethod == "POST" {
            request = HTTPClientRequest(url: endpointText)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: encoded))
        } else {
            request = HTTPClientRequest(url: endpointText + (endpointText.contains("?") ? "&" : "?") + encoded)
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        let text = String(buffer: body)
        guard let json = try? LVBJSON(parsing: text) else {
            throw ValidationError("the server answered HTTP \(response.status.code) with a body that is not JSON:\n\(text)")
        }
        print(json.prettyPrinted)
        if json["code"]?.intValue != 0 { throw ExitCode(1) }
    }

    /// The request's parameters with the common ones and the signature.
    func signedPairs(secretId: String, secretKey: String, method: String, host: String) throws -> [LVBParameters.Pair] {
        var pairs = [
            LVBParameters.Pair(name: "Action", value: action),
            .init(name: "Region", value: region),
            .init(name: "Timestamp", value: String(Int64(Date().timeIntervalSince1970))),
            .init(name: "Nonce", value: String(UInt32.random(in: 1...UInt32.max))),
            .init(name: "SecretId", value: secretId),
        ]
        if signatureMethod == LVBSignatureMethod.hmacSHA256.rawValue {
            pairs.append(.init(name: "SignatureMethod", value: signatureMethod))
        }
        for parameter in parameters {
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            pairs.append(.init(name: String(parts[0]), value: String(parts[1])))
        }
        let signature = LVBSignature.sign(
            method: method, host: host, pairs: pairs, secretKey: secretKey,
            signatureMethod: LVBSignatureMethod(rawValue: signatureMethod)!
        )
        return pairs + [.init(name: "Signature", value: signature)]
    }
}
