/// The parameters of one API request, decoded from a query string or a form body.
///
/// Decoding is strict: a malformed percent-escape, bytes that are not UTF-8, a name given
/// twice, or more than the configured count or size is an error (4000) rather than a guess,
/// because the signature covers exactly what the client meant to send (spec §1, §3).
public struct LVBParameters: Sendable, Hashable {
    /// Limits applied while decoding, each with a safe default.
    public struct Limits: Sendable, Hashable {
        /// Most parameters in one request. Default 512.
        public var maxCount: Int
        /// Longest encoded query string or body, in bytes. Default 64 KiB.
        public var maxEncodedBytes: Int
        /// Longest decoded parameter name, in bytes. Default 128.
        public var maxNameBytes: Int

        public init(maxCount: Int = 512, maxEncodedBytes: Int = 64 * 1024, maxNameBytes: Int = 128) {
            self.maxCount = maxCount
            self.maxEncodedBytes = maxEncodedBytes
            self.maxNameBytes = maxNameBytes
        }

        public static let `default` = Limits()
    }

    /// One decoded `name=value` pair.
    public struct Pair: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The pairs in the order they were sent.
    public private(set) var pairs: [Pair]
    private var indexByName: [String: Int]

    /// Parameters from already-decoded pairs (the client side, and tests).
    /// - Throws: ``LVBError`` 4000 when a name repeats.
    public init(_ pairs: [Pair]) throws(LVBError) {
        self.pairs = []
        self.indexByName = [:]
        for pair in pairs { try append(pair) }
    }

    /// Decodes `application/x-www-form-urlencoded` bytes (a query string or a POST body):
    /// `&`-separated `name=value`, `+` for space, `%XX` escapes.
    /// - Throws: ``LVBError`` 4000 for anything malformed or over the limits.
    public init(formEncoded bytes: some Collection<UInt8>, limits: Limits = .default) throws(LVBError) {
        guard bytes.count <= limits.maxEncodedBytes else {
            throw LVBError(.invalidParameter, .badInput, "request parameters exceed \(limits.maxEncodedBytes) bytes")
        }
        self.pairs = []
        self.indexByName = [:]
        for segment in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard pairs.count < limits.maxCount else {
                throw LVBError(.invalidParameter, .badInput, "more than \(limits.maxCount) parameters")
            }
            let equals = segment.firstIndex(of: UInt8(ascii: "="))
            let name = try Self.decodeComponent(segment[..<(equals ?? segment.endIndex)])
            let value =
                try equals.map { i throws(LVBError) in try Self.decodeComponent(segment[segment.index(after: i)...]) }
                ?? ""
            guard !name.isEmpty else {
                throw LVBError(.invalidParameter, .badInput, "a parameter has an empty name")
            }
            guard name.utf8.count <= limits.maxNameBytes else {
                throw LVBError(
                    .invalidParameter,
                    .badInput,
                    "a parameter name is longer than \(limits.maxNameBytes) bytes"
                )
            }
            try append(Pair(name: name, value: value))
        }
    }

    private mutating func append(_ pair: Pair) throws(LVBError) {
        guard indexByName[pair.name] == nil else {
            throw LVBError(.invalidParameter, .badInput, "parameter '\(pair.name)' is given more than once")
        }
        indexByName[pair.name] = pairs.count
        pairs.append(pair)
    }

    private static func decodeComponent(_ bytes: some Collection<UInt8>) throws(LVBError) -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): decoded.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw LVBError(.invalidParameter, .badInput, "malformed percent-escape in the request parameters")
                }
                decoded.append(high << 4 | low)
            default: decoded.append(byte)
            }
        }
        guard let string = String(validating: decoded, as: UTF8.self) else {
            throw LVBError(.invalidParameter, .badInput, "request parameters are not valid UTF-8")
        }
        return string
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The value of `name`, or `nil` when absent.
    public subscript(name: String) -> String? {
        indexByName[name].map { pairs[$0].value }
    }

    /// The value of the first of `names` that is present (for aliases such as
    /// `startTime` / `start_time`).
    public func first(of names: String...) -> String? {
        names.lazy.compactMap { self[$0] }.first
    }

    /// The value of `name`, which must be present and not empty.
    /// - Throws: ``LVBError`` 4000 naming the parameter.
    public func required(_ name: String) throws(LVBError) -> String {
        guard let value = self[name], !value.isEmpty else { throw .missingParameter(name) }
        return value
    }

    /// An optional integer parameter within `range`.
    /// - Throws: ``LVBError`` 4000 when present but not an integer in range.
    public func integer(_ name: String, in range: ClosedRange<Int>) throws(LVBError) -> Int? {
        guard let text = self[name], !text.isEmpty else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .invalidParameter(name, "'\(text)' is not an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// The elements of an array parameter sent as `name.N` (spec §6): any index base,
    /// ordered by numeric index (non-numeric suffixes such as `name.n` after, in sent order).
    public func list(_ name: String) -> [String] {
        indexed(name).compactMap { entry in entry.field == nil ? entry.value : nil }
    }

    /// The elements of an array of objects sent as `name.N.field` (spec §6), ordered by index.
    public func objects(_ name: String) -> [[String: String]] {
        var byIndex: [String: [String: String]] = [:]
        var order: [String] = []
        for entry in indexed(name) {
            guard let field = entry.field else { continue }
            if byIndex[entry.index] == nil { order.append(entry.index) }
            byIndex[entry.index, default: [:]][field] = entry.value
        }
        return order.map { byIndex[$0]! }
    }

    private func indexed(_ name: String) -> [(index: String, field: String?, value: String)] {
        let prefix = name + "."
        let entries: [(index: String, field: String?, value: String, position: Int)] = pairs.enumerated().compactMap {
            position,
            pair in
            guard pair.name.hasPrefix(prefix) else { return nil }
            let rest = pair.name.dropFirst(prefix.count)
            let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            guard let index = parts.first, !index.isEmpty else { return nil }
            return (String(index), parts.count > 1 ? String(parts[1]) : nil, pair.value, position)
        }
        return entries.sorted { a, b in
            switch (UInt64(a.index), UInt64(b.index)) {
            case (let x?, let y?): x == y ? a.position < b.position : x < y
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): a.position < b.position
            }
        }.map { ($0.index, $0.field, $0.value) }
    }
}

extension LVBParameters {
    /// The values of a URL query leniently decoded, for reading a few known names (such as
    /// the push-auth `txSecret` and `txTime`): malformed parts are skipped, a repeated name
    /// keeps its first value.
    public static func queryValues(_ query: String) -> [String: String] {
        var values: [String: String] = [:]
        for part in query.utf8.split(separator: UInt8(ascii: "&")) {
            guard let single = try? LVBParameters(formEncoded: part), let pair = single.pairs.first else { continue }
            if values[pair.name] == nil { values[pair.name] = pair.value }
        }
        return values
    }

    /// Encodes pairs as a form body or query string, escaping everything outside the
    /// unreserved set (RFC 3986 §2.3), spaces as `%20`.
    public static func formEncode(_ pairs: [Pair]) -> String {
        pairs.map { percentEncode($0.name) + "=" + percentEncode($0.value) }.joined(separator: "&")
    }

    static func percentEncode(_ string: String) -> String {
        var out = ""
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
