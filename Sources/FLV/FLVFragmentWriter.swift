import AMF
import NIOCore

/// Turns the tags of one fragment into the bytes of a standalone FLV file: values in,
/// `ByteBuffer`s out, no I/O.
///
/// The file starts with the FLV header (Adobe FLV v10.1, Annex E.2), an `onMetaData` script
/// tag (Annex E.5) and the sequence headers, all at timestamp 0. Tag timestamps are rebased so
/// the first tag after them is 0, and kept monotonic: a tag going backwards takes the previous
/// timestamp.
///
/// The metadata is completed when the fragment closes without rewriting the file: its space
/// is reserved when the fragment opens, sized for a keyframe index of
/// ``Configuration/keyframeCapacity`` entries, and ``close()`` returns the final header and
/// metadata tag, exactly as long as what ``open(metadata:sequenceHeaders:)`` wrote, to be
/// written over the start of the file. `keyframes.filepositions` are the offsets of each
/// keyframe's tag header, `keyframes.times` its timestamp in seconds.
///
/// Subsampling, when a fragment has more keyframes than the capacity: the index keeps the
/// keyframes whose ordinal (0, 1, 2, ... in file order) is a multiple of a stride that starts
/// at 1; each time the index fills up, every second entry is dropped and the stride doubles.
/// The index so always holds evenly spaced keyframes starting with the first.
///
/// Give ``Configuration/maximumDuration`` the same value as the ``FragmentPolicy``'s
/// maximum fragment duration.
public struct FLVFragmentWriter: Sendable {
    /// Sizing of the reserved metadata.
    public struct Configuration: Sendable, Hashable {
        /// The longest fragment the index must cover. Default 1800 s (DESIGN.md §2).
        public var maximumDuration: Duration
        /// The shortest keyframe interval the index is sized for; denser keyframes are
        /// subsampled. Default 1 s.
        public var minimumKeyframeInterval: Duration

        /// The most index entries any configuration reserves: 3600 (one an hour at 1 s keyframes),
        /// which bounds the reserved metadata near 65 KB.
        public static let maximumKeyframeCapacity = 3600

        public init(maximumDuration: Duration = .seconds(1800), minimumKeyframeInterval: Duration = .seconds(1)) {
            self.maximumDuration = maximumDuration
            self.minimumKeyframeInterval = minimumKeyframeInterval
        }

        /// Entries reserved in the keyframe index: one per minimum interval over the maximum
        /// duration, plus one, between 2 and ``maximumKeyframeCapacity``.
        public var keyframeCapacity: Int {
            let interval = max(minimumKeyframeInterval.milliseconds, 1)
            let entries = (maximumDuration.milliseconds + interval - 1) / interval + 1
            return Int(min(max(entries, 2), Int64(Self.maximumKeyframeCapacity)))
        }
    }

    /// The final metadata of a closed fragment.
    public struct Completion: Sendable, Hashable {
        /// Where to write ``bytes`` in the file: 0, the FLV header.
        public var offset: Int
        /// The FLV header and `onMetaData` tag with its `PreviousTagSize`, as long as the
        /// bytes they replace.
        public var bytes: ByteBuffer
        /// The file's final size in bytes.
        public var fileSize: Int
        /// The fragment's media duration: the last tag's timestamp.
        public var duration: Duration
        /// Keyframes written (the index may hold fewer).
        public var keyframeCount: Int
    }

    private enum State: Sendable, Hashable {
        case idle
        case open(origin: Int64?)
        case closed
    }

    private let configuration: Configuration
    private var state: State = .idle
    private var metadata = FLVOnMetaData(publisherProperties: [], keyframeCapacity: 2)
    private var reservedLength = 0
    private var fileSize = 0
    private var lastTimestamp: UInt32 = 0
    private var keyframeCount = 0

    /// - Parameter configuration: Metadata sizing; documented defaults unless given.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Starts the fragment.
    ///
    /// - Parameters:
    ///   - metadata: The publisher's `onMetaData` script tag, if any. Its `width`, `height`,
    ///     `framerate`, `videodatarate`, `audiodatarate`, `audiosamplerate`, `audiosamplesize`,
    ///     `audiochannels`, `stereo` and `encoder` are copied when they are numbers, booleans or
    ///     strings of at most 256 bytes; the rest is computed from the tags.
    ///   - sequenceHeaders: Codec configuration tags to put first, written at timestamp 0.
    /// - Returns: The first bytes of the file.
    /// - Precondition: The writer has not been opened.
    public mutating func open(metadata: FLVMediaTag?, sequenceHeaders: [FLVMediaTag]) -> ByteBuffer {
        guard case .idle = state else { preconditionFailure("FLVFragmentWriter.open in state \(state)") }
        let properties = metadata.flatMap { FLVOnMetaData.publisherProperties(in: $0.data) } ?? []
        self.metadata = FLVOnMetaData(publisherProperties: properties, keyframeCapacity: configuration.keyframeCapacity)
        reservedLength = FLVOnMetaData.reservedLength(
            publisherProperties: properties,
            keyframeCapacity: configuration.keyframeCapacity
        )
        fileSize = FLVHeader.encodedLength + FLVTag.headerLength + reservedLength + FLVTag.previousTagSizeLength
        state = .open(origin: nil)
        var headers = ByteBuffer()
        for header in sequenceHeaders {
            append(header.type, timestamp: 0, isKeyframe: false, data: header.data, into: &headers)
        }
        var buffer = frontBytes()
        buffer.writeImmutableBuffer(headers)
        return buffer
    }

    /// Appends one tag.
    ///
    /// The first tag that is not a sequence header sets the fragment's time origin; sequence
    /// headers before it are written at 0.
    /// - Parameters:
    ///   - tag: The tag, timestamped on the recorder's timeline.
    ///   - buffer: Where the tag's bytes are appended.
    /// - Precondition: The writer is open; the body is shorter than 2^24 bytes (Annex E.4.1).
    public mutating func write(_ tag: FLVMediaTag, into buffer: inout ByteBuffer) {
        let timestamp = advance(past: tag)
        buffer.writeFLVTag(type: tag.type, timestamp: timestamp, data: tag.data)
    }

    /// Accounts for `tag` as the next tag of the file, written by the caller (a gather write
    /// of ``ByteBuffer/writeFLVTagHeader(type:timestamp:isFiltered:dataSize:)``, the body and
    /// its `PreviousTagSize`): the same bookkeeping as ``write(_:into:)``, without copying
    /// the body.
    ///
    /// - Parameter tag: The tag, timestamped on the recorder's timeline.
    /// - Returns: The timestamp to write in the tag's header.
    /// - Precondition: The writer is open; the body is shorter than 2^24 bytes (Annex E.4.1).
    public mutating func advance(past tag: FLVMediaTag) -> UInt32 {
        guard case .open(var origin) = state else { preconditionFailure("FLVFragmentWriter.write in state \(state)") }
        if origin == nil && !tag.isSequenceHeader {
            origin = tag.timestamp
            state = .open(origin: origin)
        }
        let relative = origin.map { tag.timestamp - $0 } ?? 0
        let timestamp = UInt32(clamping: max(relative, Int64(lastTimestamp)))
        account(tag.type, timestamp: timestamp, isKeyframe: tag.type == .video && tag.isKeyframe, data: tag.data)
        return timestamp
    }

    /// The file's size after the tags written so far.
    public var size: Int { fileSize }

    /// Appends tags in order; see ``write(_:into:)``.
    ///
    /// - Returns: Their bytes.
    public mutating func write(_ tags: [FLVMediaTag]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(tags.reduce(0) { $0 + FLVTag.headerLength + $1.data.readableBytes + 4 })
        for tag in tags { write(tag, into: &buffer) }
        return buffer
    }

    /// Closes the fragment.
    ///
    /// - Returns: The bytes to write at ``Completion/offset``, and the final size.
    /// - Precondition: The writer is open.
    public mutating func close() -> Completion {
        guard case .open = state else { preconditionFailure("FLVFragmentWriter.close in state \(state)") }
        state = .closed
        metadata.fileSize = fileSize
        return Completion(
            offset: 0,
            bytes: frontBytes(),
            fileSize: fileSize,
            duration: .milliseconds(lastTimestamp),
            keyframeCount: keyframeCount
        )
    }

    private func frontBytes() -> ByteBuffer {
        Self.frontBytes(metadata, reservedLength: reservedLength)
    }

    /// The FLV header and `onMetaData` tag for `metadata`, `reservedLength` bytes of body.
    static func frontBytes(_ metadata: FLVOnMetaData, reservedLength: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeFLVHeader(FLVHeader(hasAudio: metadata.audioCodecID != nil, hasVideo: metadata.videoCodecID != nil))
        buffer.writeFLVTag(type: .scriptData, timestamp: 0, data: metadata.encoded(reservedLength: reservedLength))
        return buffer
    }

    private mutating func append(
        _ type: FLVTagType,
        timestamp: UInt32,
        isKeyframe: Bool,
        data: ByteBuffer,
        into buffer: inout ByteBuffer
    ) {
        account(type, timestamp: timestamp, isKeyframe: isKeyframe, data: data)
        buffer.writeFLVTag(type: type, timestamp: timestamp, data: data)
    }

    /// The bookkeeping of one tag at the end of the file: index, duration, file size.
    private mutating func account(_ type: FLVTagType, timestamp: UInt32, isKeyframe: Bool, data: ByteBuffer) {
        metadata.record(type, timestamp: timestamp, position: fileSize, body: data, isKeyframe: isKeyframe)
        if isKeyframe { keyframeCount += 1 }
        lastTimestamp = timestamp
        fileSize += FLVTag.headerLength + data.readableBytes + FLVTag.previousTagSizeLength
    }
}
