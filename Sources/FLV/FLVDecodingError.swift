/// An error found while reading FLV bytes: a file header, a tag, or the first bytes of a tag
/// body.
///
/// Carries the source location where it was raised, as postgres-nio's
/// `PSQLPartialDecodingError` does, so a fuzzer's report points at the failing check.
public struct FLVDecodingError: Error, Hashable, CustomStringConvertible {
    /// What was wrong with the bytes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidSignature
            case unsupportedVersion
            case invalidHeaderSize
            case invalidTagType
            case nonZeroStreamID
            case tagTooLarge
            case previousTagSizeMismatch
            case truncatedTagBody
            case invalidPacketType
            case missingMetadata
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The file does not start with `FLV` (Annex E.2).
        public static let invalidSignature = Self(.invalidSignature)
        /// The header's version byte is not 1 (Annex E.2).
        public static let unsupportedVersion = Self(.unsupportedVersion)
        /// The header's `DataOffset` is below 9 or above the decoder's limit (Annex E.2).
        public static let invalidHeaderSize = Self(.invalidHeaderSize)
        /// The tag type is not 8, 9 or 18, or a reserved bit is set (Annex E.4.1).
        public static let invalidTagType = Self(.invalidTagType)
        /// The tag's `StreamID` is not 0 (Annex E.4.1).
        public static let nonZeroStreamID = Self(.nonZeroStreamID)
        /// The tag's `DataSize` exceeds ``FLVDecodingLimits/maximumTagDataSize``.
        public static let tagTooLarge = Self(.tagTooLarge)
        /// A `PreviousTagSize` field does not equal 11 plus the preceding tag's `DataSize`
        /// (Annex E.3), or the first one is not 0.
        public static let previousTagSizeMismatch = Self(.previousTagSizeMismatch)
        /// A tag body is shorter than its audio or video tag header (Annex E.4.2, E.4.3).
        public static let truncatedTagBody = Self(.truncatedTagBody)
        /// A packet type value that the header's codec does not define.
        public static let invalidPacketType = Self(.invalidPacketType)
        /// A fragment does not start with an `onMetaData` script tag, so it cannot be repaired.
        public static let missingMetadata = Self(.missingMetadata)

        public var description: String { String(describing: base) }
    }

    /// What was wrong.
    public let code: Code
    /// The source file that raised the error.
    public let file: String
    /// The source line that raised the error.
    public let line: Int

    init(_ code: Code, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.file = file
        self.line = line
    }

    public var description: String { "FLVDecodingError(\(code), at: \(file):\(line))" }
}
