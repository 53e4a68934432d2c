import Foundation
import LVB
import Testing

/// `reel serve` and `reel api` as a user runs them.
@Suite(.serialized) struct ServeAndAPITests {
    func api(_ folder: URL, _ port: Int, _ arguments: [String]) throws -> (status: Int32, json: LVBJSON) {
        let result = try ReelProcess.run(
            ["api"] + arguments + ["--endpoint", "http://127.0.0.1:\(port)/v2/index.php"], directory: folder
        )
        let json = try LVBJSON(parsing: result.stdout)
        return (result.status, json)
    }

    @Test func firstStartGeneratesCredentialsOnceAndChannelsSurviveARestart() async throws {
        let folder = try temporaryFolder("serve")
        let first = try ReelProcess(directory: folder)
        let port = try await first.httpPort()

        // Credentials: generated, mode 0600, announced once with a ready-to-paste example.
        let credentialsPath = folder.appendingPathComponent("reel-data/credentials.json").path
        let attributes = try FileManager.default.attributesOfItem(atPath: credentialsPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let stored = try LVBJSON(parsing: String(contentsOfFile: credentialsPath, encoding: .utf8))
        let secretId = try #require(stored["secretId"]?.stringValue)
        #expect(secretId.hasPrefix("AKID"))
        #expect(first.stdout.contains(secretId))
        #expect(first.stdout.contains("reel api CreateLVBChannel"))

        let created = try api(folder, port, ["CreateLVBChannel", "channelName=demo", "outputSourceType=1", "sourceList.1.name=cam", "sourceList.1.type=1"])
        #expect(created.status == 0)
        let id = try #require(created.json["channel_id"]?.stringValue)
        #expect(created.json["channelInfo"]?["upstream_address"]?.stringValue?.hasPrefix("rtmp://127.0.0.1:") == true)

        let described = try api(folder, port, ["DescribeLVBChannel", "channelId=\(id)", "--method", "POST", "--signature-method", "HmacSHA256"])
        #expect(described.json["channelInfo"]?[0]?["channel_name"]?.stringValue == "demo")
        let list = try api(folder, port, ["DescribeLVBChannelList"])
        #expect(list.json["all_count"]?.stringValue == "1")
        #expect(try api(folder, port, ["ModifyLVBChannel", "channelId=\(id)", "channelName=renamed"]).status == 0)
        #expect(try api(folder, port, ["StopLVBChannel", "channelIds.1=\(id)"]).status == 0)
        #expect(try api(folder, port, ["StartLVBChannel", "channelIds.1=\(id)"]).status == 0)
        #expect(try api(folder, port, ["StopLVBChannel", "channelIds.1=\(id)"]).status == 0)
        let refused = try api(folder, port, ["DescribeLVBChannel", "channelId=12345"])
        #expect(refused.status == 1)
        #expect(refused.json["code"]?.intValue == 4000)

        #expect(try await first.terminate() == 0)

        // A second start keeps the credentials and the channel, and announces nothing.
        let second = try ReelProcess(directory: folder)
        let port2 = try await second.httpPort()
        #expect(!second.stdout.contains(secretId))
        let after = try api(folder, port2, ["DescribeLVBChannel", "channelId=\(id)"])
        #expect(after.json["channelInfo"]?[0]?["channel_name"]?.stringValue == "renamed")
        #expect(after.json["channelInfo"]?[0]?["channel_status"]?.stringValue == "3")
        #expect(try api(folder, port2, ["DeleteLVBChannel", "channelIds.0=\(id)"]).status == 0)
        #expect(try api(folder, port2, ["DescribeLVBChannelList"]).json["all_count"]?.stringValue == "0")
        #expect(try await second.terminate(signal: SIGINT) == 0)
    }

    @Test func settingsComeFromFlagsEnvironmentAndConfigFile() async throws {
        let folder = try temporaryFolder("settings")
        try "# Reel settings\npublic-host = from-file.example\nbiz-id = 42 # inline comment\n"
            .write(to: folder.appendingPathComponent("reel.conf"), atomically: true, encoding: .utf8)
        let server = try ReelProcess(
            directory: folder,
            arguments: ["--config", "reel.conf", "--secret-id", "AKIDflag", "--secret-key", "flagkey", "--data", "elsewhere"]
        )
        let port = try await server.httpPort()
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("elsewhere/reel.sqlite").path))
        let created = try ReelProcess.run(
            ["api", "CreateLVBChannel", "channelName=x", "outputSourceType=1", "sourceList.1.name=a", "sourceList.1.type=1"],
            environment: [
                "REEL_ENDPOINT": "http://127.0.0.1:\(port)/v2/index.php", "REEL_SECRET_ID": "AKIDflag",
                "REEL_SECRET_KEY": "flagkey",
            ],
            directory: folder
        )
        #expect(created.status == 0, "\(created.stdout)\(created.stderr)")
        let json = try LVBJSON(parsing: created.stdout)
        #expect(json["channelInfo"]?["upstream_address"]?.stringValue?.hasPrefix("rtmp://from-file.example:") == true)
        #expect(json["channelInfo"]?["upstream_address"]?.stringValue?.contains("/live/42_") == true)
        #expect(try await server.terminate() == 0)

        let bad = try ReelProcess.run(["serve", "--http-port", "99999"], directory: folder)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("http-port"))
    }

    @Test func rawSocketGarbageLeavesTheServerAnswering() async throws {
        let folder = try temporaryFolder("garbage")
        let server = try ReelProcess(directory: folder)
        let port = try await server.httpPort()
        var generator = SystemRandomNumberGenerator()
        for round in 0..<50 {
            let bytes: [UInt8] =
                round % 2 == 0
                ? (0..<Int.random(in: 1...4096, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                : Array("GET /v2/index.php?\(String(repeating: "%zz&", count: round * 100)) HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
            try RawHTTP.send(bytes, port: port)
        }
        let health = try RawHTTP.exchange(Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8), port: port)
        #expect(health.hasPrefix("HTTP/1.1 200"))
        let body = "Action=" + String(repeating: "A", count: 200_000)
        let big = try RawHTTP.exchange(
            Array("POST /v2/index.php HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8),
            port: port
        )
        #expect(big.hasPrefix("HTTP/1.1 200"))
        #expect(big.contains(#""code":4000"#))
        #expect(server.process.isRunning)
        #expect(try await server.terminate() == 0)
    }
}

/// Plain TCP for sending bytes no HTTP client would.
enum RawHTTP {
    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw ProcessFailure(description: "connect to \(port) failed: errno \(errno)")
        }
        return fd
    }

    static func send(_ bytes: [UInt8], port: Int) throws {
        let fd = try connect(port)
        _ = bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(fd)
    }

    /// Sends a request and reads until the server closes.
    static func exchange(_ bytes: [UInt8], port: Int) throws -> String {
        let fd = try connect(port)
        defer { close(fd) }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { break }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            response += buffer[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
