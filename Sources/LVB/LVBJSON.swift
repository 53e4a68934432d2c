/// A JSON value with ordered object members, as the API writes its envelopes.
///
/// Encoding follows what clients of the original service parse (spec §5): non-ASCII
/// characters are written as `\uXXXX` escapes, numbers that are whole are written without a
/// fraction, and members keep their insertion order (`code`, `message`, `codeDesc` first).
public enum LVBJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([LVBJSON])
    case object([(String, LVBJSON)])

    public static func == (lhs: LVBJSON, rhs: LVBJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let v): hasher.combine(v)
        case .int(let v): hasher.combine(v)
        case .double(let v): hasher.combine(v)
        case .string(let v): hasher.combine(v)
        case .array(let v): hasher.combine(v)
        case .object(let members):
            for (key, value) in members {
                hasher.combine(key)
                hasher.combine(value)
            }
        }
    }

    /// The member called `key` of an object, or `nil`.
    public subscript(key: String) -> LVBJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The element at `index` of an array, or `nil`.
    public subscript(index: Int) -> LVBJSON? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    public var stringValue: String? {
        if case .string(let s) = self { s } else { nil }
    }

    public var intValue: Int64? {
        switch self {
        case .int(let v): v
        case .double(let v) where v.rounded() == v && abs(v) < 9.0e15: Int64(v)
        default: nil
        }
    }

    public var arrayValue: [LVBJSON]? {
        if case .array(let v) = self { v } else { nil }
    }
}

// MARK: - Encoding

extension LVBJSON {
    /// The compact encoding, ASCII only.
    public var encoded: String {
        var out = ""
        write(to: &out, indent: nil, level: 0)
        return out
    }

    /// A readable encoding with two-space indentation; non-ASCII kept as is.
    public var prettyPrinted: String {
        var out = ""
        write(to: &out, indent: "  ", level: 0)
        return out
    }

    private func write(to out: inout String, indent: String?, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let v): out += v ? "true" : "false"
        case .int(let v): out += String(v)
        case .double(let v):
            if v.isFinite {
                out += v.rounded() == v && abs(v) < 1e15 ? String(Int64(v)) : String(v)
            } else {
                out += "null"
            }
        case .string(let s): Self.writeString(s, to: &out, asciiOnly: indent == nil)
        case .array(let elements):
            writeContainer(open: "[", close: "]", count: elements.count, to: &out, indent: indent, level: level) {
                i,
                out in
                elements[i].write(to: &out, indent: indent, level: level + 1)
            }
        case .object(let members):
            writeContainer(open: "{", close: "}", count: members.count, to: &out, indent: indent, level: level) {
                i,
                out in
                Self.writeString(members[i].0, to: &out, asciiOnly: indent == nil)
                out += indent == nil ? ":" : ": "
                members[i].1.write(to: &out, indent: indent, level: level + 1)
            }
        }
    }

    private func writeContainer(
        open: Character,
        close: Character,
        count: Int,
        to out: inout String,
        indent: String?,
        level: Int,
        element: (Int, inout String) -> Void
    ) {
        out.append(open)
        guard count > 0 else {
            out.append(close)
            return
        }
        for i in 0..<count {
            if i > 0 { out += "," }
            if let indent { out += "\n" + String(repeating: indent, count: level + 1) }
            element(i, &out)
        }
        if let indent { out += "\n" + String(repeating: indent, count: level) }
        out.append(close)
    }

    private static func writeString(_ s: String, to out: inout String, asciiOnly: Bool) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || (asciiOnly && scalar.value > 0x7E):
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

// MARK: - Decoding

extension LVBJSON {
    /// An error in a JSON text, with the byte offset where it was found.
    public struct DecodingError: Error, Hashable, Sendable {
        public var offset: Int
        public var reason: String
    }

    /// Parses a JSON text, keeping object members in order.
    /// - Throws: ``DecodingError`` for anything that is not one complete JSON value.
    public init(parsing text: some StringProtocol) throws(DecodingError) {
        var parser = Parser(bytes: Array(text.utf8))
        self = try parser.parseDocument()
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var depth = 0
        static let maxDepth = 512

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func parseDocument() throws(DecodingError) -> LVBJSON {
            let value = try parseValue()
            skipWhitespace()
            guard index == bytes.count else { throw fail("trailing characters") }
            return value
        }

        func fail(_ reason: String) -> DecodingError { DecodingError(offset: index, reason: reason) }

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ literal: String, _ value: LVBJSON) throws(DecodingError) -> LVBJSON {
            let utf8 = Array(literal.utf8)
            guard bytes.count - index >= utf8.count, Array(bytes[index..<index + utf8.count]) == utf8 else {
                throw fail("invalid literal")
            }
            index += utf8.count
            return value
        }

        mutating func parseValue() throws(DecodingError) -> LVBJSON {
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "n"): return try expect("null", .null)
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "["):
                return try nested { (p: inout Parser) throws(DecodingError) in
                    var elements: [LVBJSON] = []
                    try p.parseSequence(close: UInt8(ascii: "]")) { (p: inout Parser) throws(DecodingError) in
                        elements.append(try p.parseValue())
                    }
                    return .array(elements)
                }
            case UInt8(ascii: "{"):
                return try nested { (p: inout Parser) throws(DecodingError) in
                    var members: [(String, LVBJSON)] = []
                    try p.parseSequence(close: UInt8(ascii: "}")) { (p: inout Parser) throws(DecodingError) in
                        p.skipWhitespace()
                        guard p.index < p.bytes.count, p.bytes[p.index] == UInt8(ascii: "\"") else {
                            throw p.fail("expected a member name")
                        }
                        let key = try p.parseString()
                        p.skipWhitespace()
                        guard p.index < p.bytes.count, p.bytes[p.index] == UInt8(ascii: ":") else {
                            throw p.fail("expected ':'")
                        }
                        p.index += 1
                        members.append((key, try p.parseValue()))
                    }
                    return .object(members)
                }
            default: return try parseNumber()
            }
        }

        mutating func nested(_ body: (inout Parser) throws(DecodingError) -> LVBJSON) throws(DecodingError) -> LVBJSON {
            depth += 1
            guard depth <= Self.maxDepth else { throw fail("nested too deep") }
            index += 1
            let value = try body(&self)
            depth -= 1
            return value
        }

        mutating func parseSequence(
            close: UInt8,
            element: (inout Parser) throws(DecodingError) -> Void
        ) throws(DecodingError) {
            skipWhitespace()
            if index < bytes.count, bytes[index] == close {
                index += 1
                return
            }
            while true {
                try element(&self)
                skipWhitespace()
                guard index < bytes.count else { throw fail("unexpected end") }
                if bytes[index] == close {
                    index += 1
                    return
                }
                guard bytes[index] == UInt8(ascii: ",") else { throw fail("expected ','") }
                index += 1
            }
        }

        mutating func parseNumber() throws(DecodingError) -> LVBJSON {
            let start = index
            while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if let int = Int64(text) { return .int(int) }
            if let double = Double(text), !text.isEmpty { return .double(double) }
            index = start
            throw fail("invalid number")
        }

        mutating func parseHex4() throws(DecodingError) -> UInt16 {
            guard bytes.count - index >= 4,
                let value = UInt16(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
            else { throw fail("invalid \\u escape") }
            index += 4
            return value
        }

        mutating func parseString() throws(DecodingError) -> String {
            index += 1
            var units: [UInt16] = []
            var raw: [UInt8] = []
            func flushRaw(_ units: inout [UInt16], _ raw: inout [UInt8]) {
                units.append(contentsOf: String(decoding: raw, as: UTF8.self).utf16)
                raw.removeAll(keepingCapacity: true)
            }
            while true {
                guard index < bytes.count else { throw fail("unterminated string") }
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    flushRaw(&units, &raw)
                    return String(decoding: units, as: UTF16.self)
                case UInt8(ascii: "\\"):
                    flushRaw(&units, &raw)
                    guard index < bytes.count else { throw fail("unterminated escape") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): units.append(0x22)
                    case UInt8(ascii: "\\"): units.append(0x5C)
                    case UInt8(ascii: "/"): units.append(0x2F)
                    case UInt8(ascii: "b"): units.append(0x08)
                    case UInt8(ascii: "f"): units.append(0x0C)
                    case UInt8(ascii: "n"): units.append(0x0A)
                    case UInt8(ascii: "r"): units.append(0x0D)
                    case UInt8(ascii: "t"): units.append(0x09)
                    case UInt8(ascii: "u"): units.append(try parseHex4())
                    default: throw fail("invalid escape")
                    }
                case 0..<0x20: throw fail("control character in string")
                default: raw.append(byte)
                }
            }
        }
    }
}
