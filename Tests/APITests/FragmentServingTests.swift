import API
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Store
import Testing

/// `GET`/`HEAD /<vid>.f0.flv`: the VOD library served from the data folder (issue 5, item 2).
@Suite struct FragmentServingTests {
    /// A data folder with one registered fragment, plus files that must never be served.
    struct Library {
        let root: URL
        let data: URL
        let server: TestServer
        let vid = "1000_0123456789abcdef0123456789abcdef"
        let bytes: [UInt8]
        /// Contents of every file that must never come back.
        let secrets: [[UInt8]]

        init(size: Int = 300_000, playKey: String? = nil) async throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("reel-vod-\(UUID().uuidString)")
            data = root.appendingPathComponent("data")
            let channelFolder = data.appendingPathComponent("fragments/42")
            try FileManager.default.createDirectory(at: channelFolder, withIntermediateDirectories: true)
            var generator = SplitMix64(seed: UInt64(size))
            bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            try Data(bytes).write(to: channelFolder.appendingPathComponent("\(vid).flv"))
            // Not registered, or outside the data folder, or still being written.
            let outside = Array("outside the store".utf8)
            let part = Array("an unfinished fragment".utf8)
            let unregistered = Array("a finished file nobody registered".utf8)
            let credentials = Array("{\"secretKey\":\"s\"}".utf8)
            try Data(outside).write(to: root.appendingPathComponent("secret.flv"))
            try Data(part).write(
                to: channelFolder.appendingPathComponent("1000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.t1.s0.flv.part")
            )
            try Data(unregistered).write(
                to: channelFolder.appendingPathComponent("1000_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.flv")
            )
            try Data(credentials).write(to: data.appendingPathComponent("credentials.json"))
            secrets = [outside, part, unregistered, credentials]
            let dataPath = data.path
            server = TestServer {
                $0.dataDirectory = dataPath
                $0.playKey = playKey
            }
            try await server.store.insertFragment(
                Self.record(vid: vid, fileId: "1", size: size, path: "fragments/42/\(vid).flv")
            )
            // Records whose paths leave the folder or name a `.part` are refused too.
            try await server.store.insertFragment(
                Self.record(
                    vid: "1000_cccccccccccccccccccccccccccccccc",
                    fileId: "2",
                    size: outside.count,
                    path: "../secret.flv"
                )
            )
            try await server.store.insertFragment(
                Self.record(
                    vid: "1000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                    fileId: "3",
                    size: part.count,
                    path: "fragments/42/1000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.t1.s0.flv.part"
                )
            )
            try await server.store.insertFragment(
                Self.record(
                    vid: "1000_dddddddddddddddddddddddddddddddd",
                    fileId: "4",
                    size: outside.count,
                    path: root.appendingPathComponent("secret.flv").path
                )
            )
            // Registered, but its file is gone.
            try await server.store.insertFragment(
                Self.record(
                    vid: "1000_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
                    fileId: "5",
                    size: 10,
                    path: "fragments/42/1000_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.flv"
                )
            )
        }

        static func record(vid: String, fileId: String, size: Int, path: String) -> RecordFragment {
            RecordFragment(
                fileId: fileId,
                vid: vid,
                taskId: 1,
                channelId: "42",
                startTime: 1_800_000_000_000,
                endTime: 1_800_000_010_000,
                duration: 10_000,
                size: Int64(size),
                path: path
            )
        }

        var uri: String { "/\(vid).f0.flv" }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    @Test func getStreamsTheWholeFileAndHeadHasTheSameHeaders() async throws {
        let library = try await Library()
        defer { library.remove() }
        try await library.server.application.test(.router) { client in
            let get = try await client.execute(uri: library.uri, method: .get)
            #expect(get.status == .ok)
            #expect(Array(buffer: get.body) == library.bytes)
            #expect(get.headers[.contentType] == "video/x-flv")
            #expect(get.headers[.contentLength] == String(library.bytes.count))
            #expect(get.headers[.acceptRanges] == "bytes")
            let etag = try #require(get.headers[.eTag])
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && !etag.hasPrefix("W/"))
            let lastModified = try #require(get.headers[.lastModified])
            #expect(lastModified.hasSuffix(" GMT") && lastModified.count == 29)

            let head = try await client.execute(uri: library.uri, method: .head)
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(Self.fields(head) == Self.fields(get))
            // The same for a range.
            let rangedGet = try await client.execute(uri: library.uri, method: .get, headers: [.range: "bytes=10-19"])
            let rangedHead = try await client.execute(uri: library.uri, method: .head, headers: [.range: "bytes=10-19"])
            #expect(rangedHead.status == .partialContent && rangedHead.body.readableBytes == 0)
            #expect(rangedGet.headers[.contentRange] == "bytes 10-19/\(library.bytes.count)")
            #expect(Self.fields(rangedHead) == Self.fields(rangedGet))
        }
    }

    /// Every header but `Date`, as sorted `name: value` lines.
    static func fields(_ response: TestResponse) -> [String] {
        response.headers.filter { $0.name.canonicalName != "date" }.map { "\($0.name.canonicalName): \($0.value)" }
            .sorted()
    }

    @Test func byteRanges() async throws {
        let library = try await Library()
        defer { library.remove() }
        let size = library.bytes.count
        try await library.server.application.test(.router) { client in
            let satisfiable: [(String, ClosedRange<Int>)] = [
                ("bytes=0-0", 0...0),
                ("bytes=\(size - 1)-\(size - 1)", (size - 1)...(size - 1)),
                ("bytes=1000-200999", 1000...200_999),
                ("bytes=299000-", 299_000...(size - 1)),
                ("bytes=-500", (size - 500)...(size - 1)),
                ("bytes=-999999999", 0...(size - 1)),
                ("bytes=5-99999999999999999999999", 5...(size - 1)),
                ("Bytes = 7-8", 7...8),
            ]
            for (header, range) in satisfiable {
                let response = try await client.execute(uri: library.uri, method: .get, headers: [.range: header])
                #expect(response.status == .partialContent, "\(header)")
                #expect(
                    response.headers[.contentRange] == "bytes \(range.lowerBound)-\(range.upperBound)/\(size)",
                    "\(header)"
                )
                #expect(response.headers[.contentLength] == String(range.count), "\(header)")
                #expect(Array(buffer: response.body) == Array(library.bytes[range]), "\(header)")
            }
            for header in [
                "bytes=\(size)-", "bytes=\(size + 10)-\(size + 20)", "bytes=-0", "bytes=99999999999999999999999-",
            ] {
                let response = try await client.execute(uri: library.uri, method: .get, headers: [.range: header])
                #expect(response.status == .rangeNotSatisfiable, "\(header)")
                #expect(response.headers[.contentRange] == "bytes */\(size)", "\(header)")
                #expect(response.body.readableBytes == 0, "\(header)")
            }
            // Malformed, another unit, or several ranges: ignored, the whole file.
            for header in [
                "bytes=", "bytes=a-b", "bytes=5-1", "bytes=-", "bytes 0-10", "items=0-10", "bytes=0-1,5-6", "bytes=--1",
                "bytes=1-2-3", "bytes=0x10-",
            ] {
                let response = try await client.execute(uri: library.uri, method: .get, headers: [.range: header])
                #expect(response.status == .ok, "\(header)")
                #expect(response.headers[.contentRange] == nil, "\(header)")
                #expect(Array(buffer: response.body) == library.bytes, "\(header)")
            }
        }
    }

    @Test func conditionalRequests() async throws {
        let library = try await Library(size: 5000)
        defer { library.remove() }
        try await library.server.application.test(.router) { client in
            let first = try await client.execute(uri: library.uri, method: .get)
            let etag = try #require(first.headers[.eTag])
            let lastModified = try #require(first.headers[.lastModified])
            // If-None-Match: a match (also weak, in a list, or `*`) is 304 without a body.
            for header in [etag, "W/\(etag)", "\"other\", \(etag)", "*"] {
                for method in [HTTPRequest.Method.get, .head] {
                    let response = try await client.execute(
                        uri: library.uri,
                        method: method,
                        headers: [.ifNoneMatch: header]
                    )
                    #expect(response.status == .notModified, "\(header)")
                    #expect(response.body.readableBytes == 0)
                    #expect(response.headers[.eTag] == etag)
                }
            }
            let changed = try await client.execute(uri: library.uri, method: .get, headers: [.ifNoneMatch: "\"other\""])
            #expect(changed.status == .ok && Array(buffer: changed.body) == library.bytes)
            // If-Modified-Since, only without If-None-Match.
            let unmodified = try await client.execute(
                uri: library.uri,
                method: .get,
                headers: [.ifModifiedSince: lastModified]
            )
            #expect(unmodified.status == .notModified)
            let olderDate = try await client.execute(
                uri: library.uri,
                method: .get,
                headers: [.ifModifiedSince: "Sun, 06 Nov 1994 08:49:37 GMT"]
            )
            #expect(olderDate.status == .ok)
            let both = try await client.execute(
                uri: library.uri,
                method: .get,
                headers: [.ifNoneMatch: "\"other\"", .ifModifiedSince: lastModified]
            )
            #expect(both.status == .ok)
            // If-Range: the range only when the validator matches.
            for validator in [etag, lastModified] {
                let response = try await client.execute(
                    uri: library.uri,
                    method: .get,
                    headers: [.range: "bytes=0-9", .ifRange: validator]
                )
                #expect(response.status == .partialContent, "\(validator)")
                #expect(Array(buffer: response.body) == Array(library.bytes[0...9]))
            }
            for validator in ["\"other\"", "W/\(etag)", "Sun, 06 Nov 1994 08:49:37 GMT", "yesterday"] {
                let response = try await client.execute(
                    uri: library.uri,
                    method: .get,
                    headers: [.range: "bytes=0-9", .ifRange: validator]
                )
                #expect(response.status == .ok, "\(validator)")
                #expect(Array(buffer: response.body) == library.bytes)
            }
        }
    }

    @Test func anEmptyFragmentIsServedAndHasNoRanges() async throws {
        let library = try await Library(size: 0)
        defer { library.remove() }
        try await library.server.application.test(.router) { client in
            let get = try await client.execute(uri: library.uri, method: .get)
            #expect(get.status == .ok && get.body.readableBytes == 0 && get.headers[.contentLength] == "0")
            let ranged = try await client.execute(uri: library.uri, method: .get, headers: [.range: "bytes=0-"])
            #expect(ranged.status == .rangeNotSatisfiable && ranged.headers[.contentRange] == "bytes */0")
        }
    }

    @Test func onlyRegisteredClosedFragmentsInsideTheDataFolderAreServed() async throws {
        let library = try await Library(size: 100)
        defer { library.remove() }
        try await library.server.application.test(.router) { client in
            for vid in [
                "1000_cccccccccccccccccccccccccccccccc",  // stored path ../secret.flv
                "1000_dddddddddddddddddddddddddddddddd",  // stored absolute path
                "1000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",  // stored .part
                "1000_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",  // on disk, not registered
                "1000_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",  // registered, file missing
                "1000_ffffffffffffffffffffffffffffffff",  // unknown
            ] {
                for method in [HTTPRequest.Method.get, .head] {
                    let response = try await client.execute(uri: "/\(vid).f0.flv", method: method)
                    #expect(response.status == .notFound, "\(vid)")
                }
            }
        }
    }

    /// Registered with the stored path `../secret.flv`.
    static let traversalVid = "1000_cccccccccccccccccccccccccccccccc"

    /// Paths that are not exactly `/<registered vid>.f0.flv` (the served one appears only
    /// decorated, so none of these may legitimately answer 200).
    @Test func aThousandHostilePathsNeverReachAFile() async throws {
        let library = try await Library(size: 100)
        defer { library.remove() }
        let fixed = [
            "/../secret.flv", "/..%2fsecret.flv", "/%2e%2e/secret.flv", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/etc/passwd",
            "//etc/passwd", "/fragments/42/\(library.vid).flv", "/fragments/42/\(library.vid).f0.flv",
            "/../data/fragments/42/\(library.vid).flv", "/credentials.json", "/\(library.vid).flv",
            "/\(library.vid).f0.flv/..", "/\(library.vid).f0.flv.part", "/\(library.vid.uppercased()).f0.flv",
            "/ \(library.vid).f0.flv", "/\(library.vid)%00.f0.flv", "/%2F\(Self.traversalVid).f0.flv",
            "/42/\(library.vid).f0.flv", "/..%2f..%2f..%2f..%2fetc%2fpasswd.f0.flv", "/%2e%2e.f0.flv", "/..f0.flv",
            "/.f0.flv", "/_.f0.flv", "/1000_.f0.flv", "/_0123456789abcdef0123456789abcdef.f0.flv",
            "/1000_1000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.f0.flv", "/-1_0123456789abcdef0123456789abcdef.f0.flv",
            "/1000_0123456789abcdef0123456789abcdeg.f0.flv", "/1000_0123456789abcdef0123456789abcde.f0.flv",
            "/1000_0123456789abcdef0123456789abcdef0.f0.flv",
            "/\(String(repeating: "9", count: 5000))_0123456789abcdef0123456789abcdef.f0.flv",
            "/" + String(repeating: "a", count: 20_000) + ".f0.flv",
            "/" + String(repeating: "../", count: 2000) + "etc/passwd",
            "/\u{0661}000_0123456789abcdef0123456789abcdef.f0.flv",
        ]
        var generator = SplitMix64(seed: 0xF11E)
        let alphabet = Array("abcdef0123456789_./%\\:~-ABCDEFxyz")
        let pieces = [
            "../", "..%2f", "%2e%2e/", "%2e%2e%2f", "/", "%00", "%ff", ".f0.flv", ".flv", ".part", "fragments/42/",
            Self.traversalVid, "1000_", "%2F",
        ]
        var paths = fixed
        while paths.count < 1000 {
            var path = "/"
            switch generator.next() % 4 {
            case 0:
                for _ in 0..<Int(generator.next() % 8) { path += pieces[Int(generator.next() % UInt64(pieces.count))] }
            case 1:
                for _ in 0..<Int(generator.next() % 60) {
                    path.append(alphabet[Int(generator.next() % UInt64(alphabet.count))])
                }
                path += ".f0.flv"
            case 2:
                // Random bytes, percent-encoded.
                for _ in 0..<Int(generator.next() % 80) {
                    path += String(format: "%%%02X", Int(generator.next() % 256))
                }
            default:
                // Valid-looking vids that are not in the store.
                let hex = String(format: "%016llx%016llx", generator.next(), generator.next())
                path += "\(generator.next() % 100_000)_\(hex).f0.flv"
            }
            paths.append(path)
        }
        let hostile = paths
        try await library.server.application.test(.router) { client in
            var statuses: [HTTPResponse.Status: Int] = [:]
            for path in hostile {
                for method in [HTTPRequest.Method.get, .head] {
                    let response = try await client.execute(uri: path, method: method)
                    statuses[response.status, default: 0] += 1
                    #expect(response.status == .notFound || response.status == .badRequest, "\(path.prefix(200))")
                    let body = Array(buffer: response.body)
                    #expect(body != library.bytes && !library.secrets.contains(body), "\(path.prefix(200))")
                }
            }
            #expect(statuses.values.reduce(0, +) == 2 * hostile.count)
        }
    }

    @Test func rangeHeaderParsing() {
        #expect(ByteRangeSelection(header: "bytes=0-99", size: 50) == .range(0...49))
        #expect(ByteRangeSelection(header: "bytes=-10", size: 5) == .range(0...4))
        #expect(ByteRangeSelection(header: "bytes= 3-4 ", size: 5) == .range(3...4))
        #expect(ByteRangeSelection(header: "bytes=3-4,", size: 5) == .range(3...4))
        #expect(ByteRangeSelection(header: "bytes=5-", size: 5) == .unsatisfiable)
        #expect(ByteRangeSelection(header: "bytes=-1", size: 0) == .unsatisfiable)
        #expect(ByteRangeSelection(header: "bytes=4-3", size: 5) == .whole)
        #expect(ByteRangeSelection(header: "bytes=+1-2", size: 5) == .whole)
        #expect(ByteRangeSelection(header: "bytes=١-2", size: 5) == .whole)
    }

    @Test func vidsAreExactlyDigitsUnderscoreAndThirtyTwoLowercaseHex() {
        #expect(FragmentFileResponder.isVid("1000_0123456789abcdef0123456789abcdef"))
        #expect(FragmentFileResponder.isVid("0_ffffffffffffffffffffffffffffffff"))
        for bad in [
            "", "_0123456789abcdef0123456789abcdef", "1000_0123456789ABCDEF0123456789abcdef",
            "1000-0123456789abcdef0123456789abcdef",
            "1000_0123456789abcdef0123456789abcde", "1000_0123456789abcdef0123456789abcdef_",
            "a1000_0123456789abcdef0123456789abcdef",
            "１000_0123456789abcdef0123456789abcdef", "1000_0123456789abcdef0123456789abcdeｆ",
            "../1000_0123456789abcdef0123456789abcdef",
        ] {
            #expect(!FragmentFileResponder.isVid(bad), "\(bad)")
        }
    }
}
