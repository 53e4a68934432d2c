import AMF
import NIOCore

/// Validates a whole fragment file, fed in order in chunks of any size, without I/O: what
/// `reel fragments check` runs.
///
/// Checks, each failure a ``Finding`` with its own ``Finding/Code``:
/// - the FLV header, every tag header and every `PreviousTagSize` (Adobe FLV v10.1,
///   Annex E.2–E.4.1), through ``FLVTagDecoder``; the first malformed element ends the check;
/// - the file ends on a tag boundary (not cut short inside a tag);
/// - tag timestamps never go back;
/// - the first tag is `onMetaData` (Annex E.5), its `duration` is the last tag's timestamp
///   and its `filesize` the file's size;
/// - every `keyframes` entry (`times`, `filepositions`) points at the header of a video
///   keyframe tag whose timestamp is the entry's time.
///
/// Memory stays bounded whatever the file's size: tags are checked as they arrive and only
/// the keyframe index is kept.
public struct FLVFragmentCheck: Sendable {
    /// One problem found.
    public struct Finding: Sendable, Hashable, CustomStringConvertible {
        /// What kind of problem.
        public struct Code: Hashable, Sendable, CustomStringConvertible {
            private enum Base: String, Hashable, Sendable {
                case malformed
                case truncated
                case timestampWentBack
                case missingMetadata
                case durationMismatch
                case fileSizeMismatch
                case keyframeIndexMalformed
                case indexEntryNotATag
                case indexEntryNotAKeyframe
                case indexEntryTimeMismatch
            }

            private let base: Base

            private init(_ base: Base) { self.base = base }

            /// The FLV header, a tag header or a `PreviousTagSize` is invalid; nothing after it is read.
            public static let malformed = Self(.malformed)
            /// The file ends inside a tag (or inside the header).
            public static let truncated = Self(.truncated)
            /// A tag's timestamp is below the previous tag's.
            public static let timestampWentBack = Self(.timestampWentBack)
            /// The first tag is not a script tag holding `onMetaData` with an object of properties.
            public static let missingMetadata = Self(.missingMetadata)
            /// `onMetaData.duration` is missing or is not the last tag's timestamp.
            public static let durationMismatch = Self(.durationMismatch)
            /// `onMetaData.filesize` is missing or is not the file's size.
            public static let fileSizeMismatch = Self(.fileSizeMismatch)
            /// `keyframes` is missing while the file has keyframes, or its arrays are not two
            /// arrays of numbers of one length with increasing positions.
            public static let keyframeIndexMalformed = Self(.keyframeIndexMalformed)
            /// An index entry's position is not the start of a tag.
            public static let indexEntryNotATag = Self(.indexEntryNotATag)
            /// An index entry points at a tag that is not a video keyframe.
            public static let indexEntryNotAKeyframe = Self(.indexEntryNotAKeyframe)
            /// An index entry's time is not its tag's timestamp.
            public static let indexEntryTimeMismatch = Self(.indexEntryTimeMismatch)

            public var description: String { base.rawValue }
        }

        public var code: Code
        /// The byte offset the finding is about, when it is about one place.
        public var position: Int?
        /// What is wrong, for people.
        public var message: String

        public var description: String {
            position.map { "\(code) at byte \($0): \(message)" } ?? "\(code): \(message)"
        }
    }

    /// One `keyframes` entry of the metadata.
    public struct IndexEntry: Sendable, Hashable {
        /// `times`: seconds.
        public var time: Double
        /// `filepositions`: byte offset of the keyframe's tag header.
        public var position: Int
    }

    /// What the check found.
    public struct Report: Sendable {
        /// The file header, when it was valid.
        public var header: FLVHeader?
        /// The `onMetaData` properties, in file order, when the first tag held them.
        public var metadata: AMFObject?
        /// Bytes fed: the file's size.
        public var fileSize = 0
        /// Complete tags by type.
        public var audioTags = 0
        public var videoTags = 0
        public var scriptTags = 0
        /// Video keyframe tags in the file (the index may hold fewer: it subsamples).
        public var keyframes = 0
        /// The largest tag timestamp, milliseconds.
        public var lastTimestamp: UInt32 = 0
        /// The metadata's keyframe index, in file order.
        public var index: [IndexEntry] = []
        /// The problems, in the order found; at most ``FLVFragmentCheck/maximumFindingsPerCode``
        /// of each code.
        public var findings: [Finding] = []
        /// Findings left out of ``findings`` past the per-code maximum.
        public var omittedFindings = 0

        /// No problem found.
        public var isValid: Bool { findings.isEmpty && omittedFindings == 0 }
        /// All complete tags.
        public var tagCount: Int { audioTags + videoTags + scriptTags }
    }

    /// Findings kept per code; more are only counted.
    public static let maximumFindingsPerCode = 20

    private enum State: Sendable {
        case expectingHeader
        case expectingMetadata
        case readingTags
        case stopped
    }

    private let limits: FLVDecodingLimits
    private var state: State = .expectingHeader
    private var pending = ByteBuffer()
    /// Offset of the first byte of `pending`.
    private var position = 0
    private var report = Report()
    private var findingCounts: [Finding.Code: Int] = [:]
    private var previousTimestamp: UInt32?
    /// Index entries not yet met, by position.
    private var unmatched: [Int: Double] = [:]

    /// - Parameter limits: Bounds for the tags read; ``FLVDecodingLimits/default`` unless given.
    public init(limits: FLVDecodingLimits = .default) {
        self.limits = limits
    }

    /// Checks the next bytes of the file.
    public mutating func consume(_ chunk: ByteBuffer) {
        report.fileSize += chunk.readableBytes
        guard state != .stopped else { return }
        pending.writeImmutableBuffer(chunk)
        while state != .stopped {
            let before = pending.readableBytes
            let element: FLVTagDecoder.Element?
            do {
                if state == .expectingHeader {
                    element = try FLVTagDecoder.parseHeader(&pending, limits: limits).map(FLVTagDecoder.Element.header)
                } else {
                    element = try FLVTagDecoder.parseTag(&pending, limits: limits).map(FLVTagDecoder.Element.tag)
                }
            } catch {
                record(.malformed, at: position, "\(describe(error)); the rest of the file is not read")
                state = .stopped
                pending = ByteBuffer()
                return
            }
            guard let element else { break }
            let elementPosition = position
            position += before - pending.readableBytes
            switch element {
            case .header(let header):
                report.header = header
                state = .expectingMetadata
            case .tag(let tag):
                check(tag, at: elementPosition)
            }
        }
        pending.discardReadBytes()
    }

    /// The report, once every byte of the file was consumed.
    public mutating func finish() -> Report {
        if state != .stopped && pending.readableBytes > 0 {
            let what = state == .expectingHeader ? "the FLV header" : "a tag"
            record(.truncated, at: position, "the file ends \(pending.readableBytes) bytes into \(what)")
        }
        if state == .expectingHeader && pending.readableBytes == 0 {
            record(.truncated, at: 0, "the file is empty")
        }
        if state == .expectingMetadata || state == .expectingHeader {
            record(.missingMetadata, at: nil, "the file has no tags")
        }
        if let metadata = report.metadata {
            checkTotals(metadata)
        }
        for (entryPosition, _) in unmatched.sorted(by: { $0.key < $1.key }) where state != .stopped {
            record(.indexEntryNotATag, at: entryPosition, "keyframe index entry points at no tag header")
        }
        return report
    }

    // MARK: Checks

    private mutating func check(_ tag: FLVTag, at tagPosition: Int) {
        switch tag.type {
        case .audio: report.audioTags += 1
        case .video: report.videoTags += 1
        case .scriptData: report.scriptTags += 1
        }
        if let previousTimestamp, tag.timestamp < previousTimestamp {
            record(
                .timestampWentBack,
                at: tagPosition,
                "\(tag.type) tag at \(tag.timestamp) ms follows a tag at \(previousTimestamp) ms"
            )
        }
        previousTimestamp = max(previousTimestamp ?? 0, tag.timestamp)
        report.lastTimestamp = max(report.lastTimestamp, tag.timestamp)

        let isKeyframe = tag.type == .video && (try? FLVVideoTagHeader(parsing: tag.data))?.isKeyframe == true
        if isKeyframe { report.keyframes += 1 }
        if state == .expectingMetadata {
            state = .readingTags
            readMetadata(tag, at: tagPosition)
        }
        if let time = unmatched.removeValue(forKey: tagPosition) {
            if !isKeyframe {
                record(.indexEntryNotAKeyframe, at: tagPosition, "keyframe index entry points at a \(describe(tag))")
            }
            if !Self.sameTime(time, tag.timestamp) {
                record(
                    .indexEntryTimeMismatch,
                    at: tagPosition,
                    "keyframe index says \(time) s, the tag is at \(Double(tag.timestamp) / 1000) s"
                )
            }
        }
    }

    private mutating func readMetadata(_ tag: FLVTag, at tagPosition: Int) {
        var body = tag.data
        guard tag.type == .scriptData, let values = try? body.readAMF0Values(), values.first == .string("onMetaData"),
            values.count >= 2
        else {
            record(.missingMetadata, at: tagPosition, "the first tag is a \(describe(tag)), not onMetaData")
            return
        }
        switch values[1] {
        case .ecmaArray(let object), .object(let object): report.metadata = object
        default:
            record(.missingMetadata, at: tagPosition, "onMetaData holds no object of properties")
            return
        }
        guard let keyframes = report.metadata?["keyframes"] else { return }
        guard let object = keyframes.objectValue, let times = object["times"]?.arrayValue?.map(\.numberValue),
            let positions = object["filepositions"]?.arrayValue?.map(\.numberValue)
        else {
            record(
                .keyframeIndexMalformed,
                at: tagPosition,
                "keyframes is not an object with times and filepositions arrays"
            )
            return
        }
        guard times.count == positions.count else {
            record(
                .keyframeIndexMalformed,
                at: tagPosition,
                "\(times.count) times but \(positions.count) filepositions"
            )
            return
        }
        for (time, position) in zip(times, positions) {
            guard let time, let position, let offset = Int(exactly: position), offset >= 0 else {
                record(.keyframeIndexMalformed, at: tagPosition, "an entry is not a number or not a byte offset")
                return
            }
            if let last = report.index.last, offset <= last.position {
                record(.keyframeIndexMalformed, at: tagPosition, "filepositions do not increase at \(offset)")
            }
            report.index.append(IndexEntry(time: time, position: offset))
            if offset < tagPosition + tag.encodedLength {
                record(.indexEntryNotATag, at: offset, "keyframe index entry points inside the file's front")
            } else {
                unmatched[offset] = time
            }
        }
    }

    /// Checks the metadata's totals against the whole file.
    private mutating func checkTotals(_ metadata: AMFObject) {
        let lastSeconds = Double(report.lastTimestamp) / 1000
        if let duration = metadata["duration"]?.numberValue {
            if state != .stopped && !Self.sameTime(duration, report.lastTimestamp) {
                record(
                    .durationMismatch,
                    at: nil,
                    "onMetaData.duration is \(duration) s, the last tag is at \(lastSeconds) s"
                )
            }
        } else {
            record(.durationMismatch, at: nil, "onMetaData has no numeric duration")
        }
        if let size = metadata["filesize"]?.numberValue {
            if size != Double(report.fileSize) {
                record(
                    .fileSizeMismatch,
                    at: nil,
                    "onMetaData.filesize is \(Self.format(size)) bytes, the file has \(report.fileSize)"
                )
            }
        } else {
            record(.fileSizeMismatch, at: nil, "onMetaData has no numeric filesize")
        }
        if metadata["keyframes"] == nil && report.keyframes > 0 {
            record(
                .keyframeIndexMalformed,
                at: nil,
                "onMetaData has no keyframes index; the file has \(report.keyframes) keyframes"
            )
        }
    }

    private mutating func record(_ code: Finding.Code, at position: Int?, _ message: String) {
        let count = findingCounts[code, default: 0]
        findingCounts[code] = count + 1
        guard count < Self.maximumFindingsPerCode else {
            report.omittedFindings += 1
            return
        }
        report.findings.append(Finding(code: code, position: position, message: message))
    }

    /// Seconds from metadata against milliseconds from a tag, to the millisecond.
    private static func sameTime(_ seconds: Double, _ milliseconds: UInt32) -> Bool {
        abs(seconds * 1000 - Double(milliseconds)) < 0.5
    }

    private static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    private func describe(_ tag: FLVTag) -> String {
        switch tag.type {
        case .video:
            guard let header = try? FLVVideoTagHeader(parsing: tag.data) else { return "video tag with a bad header" }
            return header.isSequenceHeader ? "video sequence header" : "video \(header.frameType) tag"
        case .audio: return "audio tag"
        case .scriptData: return "script tag"
        }
    }

    private func describe(_ error: any Error) -> String {
        guard let error = error as? FLVDecodingError else { return "\(error)" }
        switch error.code {
        case .invalidSignature: return "not an FLV file (no FLV signature)"
        case .unsupportedVersion: return "FLV version is not 1"
        case .invalidHeaderSize: return "invalid FLV header size"
        case .invalidTagType: return "invalid tag type"
        case .nonZeroStreamID: return "tag StreamID is not 0"
        case .tagTooLarge: return "tag DataSize exceeds the limit"
        case .previousTagSizeMismatch: return "PreviousTagSize does not match the tag before it"
        default: return "\(error.code)"
        }
    }
}
