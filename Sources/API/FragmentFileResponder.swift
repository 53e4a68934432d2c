import Foundation
import Hummingbird
import LVB
import Logging
import Store

/// Serves the VOD library: `GET`/`HEAD /<vid>.f0.flv` (spec §8).
///
/// Only fragments registered in the store are served, from the path the store records
/// (relative to the data folder); nothing in the request names a file. Fragments are
/// immutable once registered, so the validators are strong.
///
/// - Supports a single byte range (`a-b`, `a-`, `-n`; RFC 9110 §14.2) with 206 and 416; a
///   `Range` with several ranges, or one that does not parse, is ignored (200, whole file).
/// - `If-None-Match` (weak comparison, `*`, lists) and, without it, `If-Modified-Since`
///   give 304 (RFC 9110 §13.1.2, §13.1.3); `If-Range` (an ETag, strong comparison, or the
///   exact `Last-Modified` date) honours the range only when it matches (§13.1.5).
/// - `HEAD` answers GET's status and headers without a body.
/// - The body streams from disk in chunks (Hummingbird `FileIO`), never whole in memory.
/// - With a play key, only URLs signed with it (``LVBPlayAuth``: `t` and `sign`) and not
///   expired play; others get 403 before the store is asked, so an unsigned request cannot
///   tell which vids exist.
public struct FragmentFileResponder: Sendable {
    public let store: any RecordingStore
    /// The data folder the stored fragment paths are relative to.
    public let dataDirectory: String
    /// The key play URLs must be signed with; `nil` serves every URL.
    public let playKey: String?
    private let now: @Sendable () -> Int64
    private let files: LocalFileSystem

    /// - Parameters:
    ///   - store: where fragments are looked up by vid.
    ///   - dataDirectory: the data folder the recorder writes under.
    ///   - playKey: the key play URLs must be signed with (`--play-key`), or `nil`.
    ///   - now: the server's clock, Unix seconds.
    ///   - logger: notes the folder served from.
    public init(
        store: any RecordingStore, dataDirectory: String, playKey: String? = nil,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }, logger: Logger
    ) {
        self.store = store
        self.dataDirectory = dataDirectory
        self.playKey = playKey
        self.now = now
        self.files = LocalFileSystem(rootFolder: dataDirectory, threadPool: .singleton, logger: logger)
    }

    /// The suffix of a play URL's file name.
    public static let playSuffix = ".f0.flv"

    /// Registers `GET` and `HEAD /{vid}.f0.flv`.
    public func register(on router: Router<some RequestContext>) {
        router.get("/{vid}.f0.flv") { request, context in try await respond(request, context: context) }
        router.head("/{vid}.f0.flv") { request, context in try await respond(request, context: context) }
    }

    /// Answers one request for `/<vid>.f0.flv`.
    /// - Throws: `HTTPError(.notFound)` for a malformed or unknown vid or a missing file.
    /// - Throws: `HTTPError(.forbidden)` for a missing, wrong or expired signature when a play
    ///   key is set.
    public func respond(_ request: Request, context: some RequestContext) async throws -> Response {
        guard let vid = context.parameters.get("vid"), Self.isVid(vid) else { throw HTTPError(.notFound) }
        if let playKey {
            let query = request.uri.queryParameters
            do throws(LVBPlayAuth.Failure) {
                try LVBPlayAuth.verify(
                    key: playKey, path: "/\(vid)\(Self.playSuffix)", t: query["t"].map(String.init),
                    sign: query["sign"].map(String.init), now: now()
                )
            } catch {
                let reason =
                    switch error {
                    case .missing: "this recording needs a signed play URL (t and sign)"
                    case .malformed: "t is not hexadecimal Unix seconds"
                    case .expired: "the play URL has expired"
                    case .wrongSign: "sign does not match"
                    }
                throw HTTPError(.forbidden, message: reason)
            }
        }
        guard let fragment = try await store.fragment(vid: vid),
            Self.isServablePath(fragment.path),
            let path = files.getFileIdentifier(fragment.path),
            let attributes = try await files.getAttributes(id: path), !attributes.isFolder
        else { throw HTTPError(.notFound) }
        let size = attributes.size
        let modified = Int64(attributes.modificationDate.timeIntervalSince1970.rounded(.down))
        let etag = Self.entityTag(vid: vid, size: size, modified: modified)
        var headers: HTTPFields = [
            .contentType: "video/x-flv",
            .acceptRanges: "bytes",
            .eTag: etag,
            .lastModified: HTTPDate.format(modified),
        ]
        let isHead = request.method == .head

        if Self.notModified(request.headers, etag: etag, modified: modified) {
            // A 304 may carry the length a 200 would have (RFC 9110 §8.6), never another.
            headers[.contentLength] = String(size)
            return Response(status: .notModified, headers: headers, body: ResponseBody())
        }

        var selection: ByteRangeSelection = .whole
        if let range = request.headers[.range],
            Self.ifRangeMatches(request.headers[.ifRange], etag: etag, modified: modified)
        {
            selection = ByteRangeSelection(header: range, size: size)
        }
        switch selection {
        case .whole:
            headers[.contentLength] = String(size)
            if isHead || size == 0 { return Response(status: .ok, headers: headers, body: ResponseBody()) }
            let body = try await files.loadFile(id: path, range: 0...(size - 1), context: context)
            return Response(status: .ok, headers: headers, body: body)
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(size)"
            headers[.contentLength] = "0"
            return Response(status: .rangeNotSatisfiable, headers: headers, body: ResponseBody())
        case .range(let range):
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            headers[.contentLength] = String(range.count)
            if isHead { return Response(status: .partialContent, headers: headers, body: ResponseBody()) }
            let body = try await files.loadFile(id: path, range: range, context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        }
    }

    /// A vid: `<decimal digits>_<32 lowercase hex>`, ASCII only.
    public static func isVid(_ text: String) -> Bool { RecordFragment.isVid(text) }

    /// A stored path that stays inside the data folder and names a closed fragment: relative,
    /// no `.`/`..` or empty components, ending in `.flv` (never a `.part`).
    static func isServablePath(_ path: String) -> Bool {
        guard !path.hasPrefix("/"), path.hasSuffix(".flv"), !path.contains("\0") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".."
        }
    }

    /// A strong ETag from the vid, size and modification time (seconds).
    static func entityTag(vid: String, size: Int, modified: Int64) -> String {
        "\"\(vid)-\(String(size, radix: 16))-\(String(modified, radix: 16))\""
    }

    /// Whether the conditions ask for 304: `If-None-Match` matches (weak comparison), or,
    /// without `If-None-Match`, the file is not newer than `If-Modified-Since`.
    static func notModified(_ headers: HTTPFields, etag: String, modified: Int64) -> Bool {
        let ifNoneMatch = headers[values: .ifNoneMatch]
        if !ifNoneMatch.isEmpty {
            let ours = opaqueTag(etag)
            for value in ifNoneMatch {
                for candidate in value.split(separator: ",") {
                    let tag = candidate.trimmingCharacters(in: .whitespaces)
                    if tag == "*" || opaqueTag(tag) == ours { return true }
                }
            }
            return false
        }
        if let since = headers[.ifModifiedSince], let date = HTTPDate.parse(since) {
            return modified <= date
        }
        return false
    }

    /// Whether a `Range` applies given `If-Range`: absent, the same strong ETag, or exactly
    /// the `Last-Modified` date.
    static func ifRangeMatches(_ ifRange: String?, etag: String, modified: Int64) -> Bool {
        guard let ifRange = ifRange?.trimmingCharacters(in: .whitespaces) else { return true }
        if ifRange.hasPrefix("\"") || ifRange.hasPrefix("W/") { return ifRange == etag }
        return HTTPDate.parse(ifRange) == modified
    }

    /// An entity tag without its weakness indicator, for weak comparison.
    private static func opaqueTag(_ tag: String) -> Substring {
        tag.hasPrefix("W/") ? tag.dropFirst(2) : Substring(tag)
    }
}

/// What a `Range` header selects from a representation of known size (RFC 9110 §14.1.2).
public enum ByteRangeSelection: Sendable, Hashable {
    /// No usable range (absent, malformed, another unit or several ranges): send it all.
    case whole
    /// The one range, clamped to the size: 206.
    case range(ClosedRange<Int>)
    /// Syntactically valid but outside the representation: 416.
    case unsatisfiable

    /// Interprets `Range: bytes=…`.
    /// - Parameters:
    ///   - header: the field value.
    ///   - size: the representation's length in bytes.
    public init(header: String, size: Int) {
        guard let equals = header.firstIndex(of: "="),
            header[..<equals].trimmingCharacters(in: .whitespaces).lowercased() == "bytes"
        else {
            self = .whole
            return
        }
        let specs = header[header.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        // Several ranges could be answered with multipart/byteranges; the whole file is an
        // allowed answer (RFC 9110 §14.2) and what players handle.
        guard specs.count == 1, let dash = specs[0].firstIndex(of: "-") else {
            self = .whole
            return
        }
        let spec = specs[0]
        let first = spec[..<dash]
        let last = spec[spec.index(after: dash)...]
        guard first.allSatisfy(\.isASCIIDigit), last.allSatisfy(\.isASCIIDigit), !(first.isEmpty && last.isEmpty) else {
            self = .whole
            return
        }
        if first.isEmpty {
            // Suffix range: the last n bytes.
            let length = Self.saturatingInt(last)
            guard length > 0, size > 0 else {
                self = .unsatisfiable
                return
            }
            self = .range(max(0, size - length)...(size - 1))
            return
        }
        let start = Self.saturatingInt(first)
        let end = last.isEmpty ? Int.max : Self.saturatingInt(last)
        guard start <= end else {
            self = .whole
            return
        }
        guard start < size else {
            self = .unsatisfiable
            return
        }
        self = .range(start...min(end, size - 1))
    }

    /// Decimal digits as an `Int`, `Int.max` when too large.
    private static func saturatingInt(_ digits: Substring) -> Int {
        var value = 0
        for character in digits.utf8 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(character - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return .max }
            value = sum
        }
        return value
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7), Unix seconds.
enum HTTPDate {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT")!
        return calendar
    }

    static func format(_ seconds: Int64) -> String {
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second, .weekday],
            from: Date(timeIntervalSince1970: TimeInterval(seconds))
        )
        func two(_ n: Int?) -> String {
            let n = n ?? 0
            return n < 10 ? "0\(n)" : "\(n)"
        }
        return
            "\(weekdays[(parts.weekday ?? 1) - 1]), \(two(parts.day)) \(months[(parts.month ?? 1) - 1]) \(parts.year ?? 1970) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) GMT"
    }

    /// Parses an IMF-fixdate; the obsolete formats are not accepted (they then never match).
    static func parse(_ text: String) -> Int64? {
        let fields = text.split(separator: " ")
        guard fields.count == 6, fields[0].count == 4, fields[0].hasSuffix(","), fields[5] == "GMT",
            fields[1].count == 2, let day = Int(fields[1]), let monthIndex = months.firstIndex(of: String(fields[2])),
            fields[3].count == 4, let year = Int(fields[3])
        else { return nil }
        let time = fields[4].split(separator: ":")
        guard time.count == 3, time.allSatisfy({ $0.count == 2 }), let hour = Int(time[0]), let minute = Int(time[1]),
            let second = Int(time[2]), (1...31).contains(day), hour < 24, minute < 60, second < 61,
            let date = calendar.date(
                from: DateComponents(
                    year: year,
                    month: monthIndex + 1,
                    day: day,
                    hour: hour,
                    minute: minute,
                    second: second
                )
            )
        else { return nil }
        return Int64(date.timeIntervalSince1970)
    }
}
