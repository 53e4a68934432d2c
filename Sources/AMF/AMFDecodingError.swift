/// Why AMF input could not be decoded, and where in the decoder that was noticed.
///
/// Equality and hashing compare ``code`` only: ``file`` and ``line`` are diagnostics.
public struct AMFDecodingError: Error, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable {
            case truncated
            case unknownMarker(UInt8)
            case unsupportedMarker(UInt8)
            case unexpectedObjectEnd
            case depthExceeded
            case tooManyElements
            case stringTooLong
            case invalidUTF8
            case invalidReference
            case externalizableObject
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The input ended inside a value. RTMP delivers whole messages, so this is malformed input.
        public static let truncated = Code(.truncated)
        /// A type marker no specification defines.
        public static func unknownMarker(_ marker: UInt8) -> Code { Code(.unknownMarker(marker)) }
        /// A defined type marker this decoder does not accept: AMF0 movieclip (0x04), unsupported (0x0D)
        /// and recordset (0x0E); AMF3 vectors (0x0D–0x10) and dictionary (0x11).
        public static func unsupportedMarker(_ marker: UInt8) -> Code { Code(.unsupportedMarker(marker)) }
        /// An AMF0 object-end marker (0x09) where a value was expected.
        public static let unexpectedObjectEnd = Code(.unexpectedObjectEnd)
        /// Containers nest deeper than ``AMFDecodingLimits/maxDepth``.
        public static let depthExceeded = Code(.depthExceeded)
        /// More values than ``AMFDecodingLimits/maxElements``.
        public static let tooManyElements = Code(.tooManyElements)
        /// A string longer than ``AMFDecodingLimits/maxStringLength``.
        public static let stringTooLong = Code(.stringTooLong)
        /// A string whose bytes are not valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A reference to a table entry that does not exist yet, or to a value still being decoded
        /// (a cycle, which a value tree cannot hold).
        public static let invalidReference = Code(.invalidReference)
        /// An AMF3 object with externalizable traits, whose body only its class can read.
        public static let externalizableObject = Code(.externalizableObject)

        public var description: String {
            switch base {
            case .truncated:
                return "truncated"
            case .unknownMarker(let marker):
                return "unknownMarker(0x\(String(marker, radix: 16, uppercase: true)))"
            case .unsupportedMarker(let marker):
                return "unsupportedMarker(0x\(String(marker, radix: 16, uppercase: true)))"
            case .unexpectedObjectEnd:
                return "unexpectedObjectEnd"
            case .depthExceeded:
                return "depthExceeded"
            case .tooManyElements:
                return "tooManyElements"
            case .stringTooLong:
                return "stringTooLong"
            case .invalidUTF8:
                return "invalidUTF8"
            case .invalidReference:
                return "invalidReference"
            case .externalizableObject:
                return "externalizableObject"
            }
        }
    }

    /// What went wrong.
    public let code: Code
    /// The decoder source file that noticed the problem.
    public let file: String
    /// The decoder source line that noticed the problem.
    public let line: Int

    init(_ code: Code, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.file = file
        self.line = line
    }

    public static func == (lhs: AMFDecodingError, rhs: AMFDecodingError) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }

    public var description: String {
        "AMFDecodingError.\(code) (\(file):\(line))"
    }
}
