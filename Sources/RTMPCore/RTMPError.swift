/// An error of the RTMP core: a handshake, chunk stream or message the peer sent that this
/// server will not process. The connection that produced it should be closed.
///
/// Compare errors by ``code``; ``message`` is a human-readable detail for logs and never
/// contains stream keys or query strings.
public struct RTMPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a closed set of cases over an open struct.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case unsupportedVersion
            case handshakeFailed
            case missingPreviousHeader
            case messageTooLong
            case tooManyChunkStreams
            case incompleteMessagesTooLarge
            case invalidChunkSize
            case malformedMessage
            case amfDecodingFailed
            case unexpectedCommand
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// C0 (or S0) asked for an RTMP version other than 3 (RTMP spec 1.0 §5.2.2).
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// A digest in S1 or S2 did not verify (client side of the handshake).
        public static let handshakeFailed = Code(.handshakeFailed)
        /// A chunk of type 1, 2 or 3 arrived on a chunk stream with no previous header (§5.3.1.2).
        public static let missingPreviousHeader = Code(.missingPreviousHeader)
        /// A message header declared a length above ``RTMPLimits/maxMessageLength``.
        public static let messageTooLong = Code(.messageTooLong)
        /// The peer used more chunk streams than ``RTMPLimits/maxChunkStreams``.
        public static let tooManyChunkStreams = Code(.tooManyChunkStreams)
        /// Partly received messages held more than ``RTMPLimits/maxIncompleteMessageBytes``.
        public static let incompleteMessagesTooLarge = Code(.incompleteMessagesTooLarge)
        /// Set Chunk Size of 0 or with the top bit set (§5.4.1).
        public static let invalidChunkSize = Code(.invalidChunkSize)
        /// A message payload did not match its type's layout.
        public static let malformedMessage = Code(.malformedMessage)
        /// A command or data message's AMF did not decode within the AMF limits.
        public static let amfDecodingFailed = Code(.amfDecodingFailed)
        /// A command the session cannot accept in its current state (for example `publish`
        /// before `connect`).
        public static let unexpectedCommand = Code(.unexpectedCommand)

        public var description: String {
            String(describing: base)
        }
    }

    /// What went wrong.
    public var code: Code
    /// A detail for logs.
    public var message: String
    /// The source file that detected the error.
    public var file: String
    /// The source line that detected the error.
    public var line: Int

    /// Creates an error.
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - message: A detail for logs; must not contain secrets.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String {
        "RTMPError(\(code): \(message), \(file):\(line))"
    }

    /// Errors are equal when their codes are; the message and source location are details.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }
}

/// A payload decoding failure without context (postgres-nio's `PSQLPartialDecodingError`
/// shape): thrown by payload decoders, turned into an ``RTMPError`` by the caller that knows
/// which message was being decoded.
struct RTMPPartialDecodingError: Error, Sendable {
    var description: String
    var file: String
    var line: Int

    init(_ description: String, file: String = #fileID, line: Int = #line) {
        self.description = description
        self.file = file
        self.line = line
    }

    static func expectedBytes(_ count: Int, actual: Int, file: String = #fileID, line: Int = #line) -> Self {
        Self("expected \(count) bytes, found \(actual)", file: file, line: line)
    }
}

extension RTMPError {
    /// Wraps a payload decoding failure, keeping where it was detected.
    init(_ code: Code, _ partial: RTMPPartialDecodingError, context: String) {
        self.init(code, "\(context): \(partial.description)", file: partial.file, line: partial.line)
    }
}
