import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Posts event bodies to the callback URL with AsyncHTTPClient: `Content-Type:
/// application/json`, the event's id in `Reel-Event-Id`, a timeout per attempt, and at most
/// 64 KiB of answer read.
public struct HTTPCallbackTransport: CallbackTransport {
    public var url: String
    public var timeout: TimeAmount

    public init(url: String, timeout: TimeAmount = .seconds(10)) {
        self.url = url
        self.timeout = timeout
    }

    public func post(_ body: String, eventId: String) async throws -> CallbackReply {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Reel-Event-Id", value: eventId)
        request.headers.add(name: "User-Agent", value: "Reel")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let answer = try await response.body.collect(upTo: 64 * 1024)
        return CallbackReply(status: Int(response.status.code), body: String(buffer: answer))
    }
}
