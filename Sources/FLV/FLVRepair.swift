import NIOCore

/// Finishes a fragment left unfinished by a crash: finds its last complete tag and rebuilds its
/// `onMetaData` from the tags, without I/O.
///
/// Feed the file's bytes in order to ``consume(_:)``, in chunks of any size, then call
/// ``finish()``. A tag counts as complete when its body and its `PreviousTagSize`, equal to
/// 11 plus its `DataSize` (Adobe FLV v10.1, Annex E.3), are all present; the first tag that is
/// cut short or malformed ends the usable part of the file. The metadata is rebuilt the way
/// ``FLVFragmentWriter`` builds it (duration, file size, codec ids, keyframe index) into the
/// space the writer reserved, whether or not it was ever filled in.
public struct FLVRepair: Sendable {
    /// How to finish the file.
    public struct Result: Sendable, Hashable {
        /// Truncate the file to this many bytes: the end of its last complete tag.
        public var length: Int
        /// Where to write ``bytes``: 0, the FLV header.
        public var offset: Int
        /// The FLV header and completed `onMetaData` tag, as long as the bytes they replace.
        public var bytes: ByteBuffer
        /// The media duration kept: the last complete tag's timestamp.
        public var duration: Duration
        /// Complete tags kept after the metadata tag.
        public var tagCount: Int
    }

    private enum State: Sendable, Hashable {
        case expectingHeader
        case expectingMetadata
        case readingTags(reservedLength: Int)
        case stopped(reservedLength: Int)
        case failed(FLVDecodingError)
    }

    private let limits: FLVDecodingLimits
    private var state: State = .expectingHeader
    private var metadata = FLVOnMetaData(publisherProperties: [], keyframeCapacity: 2)
    private var length = 0
    private var tagCount = 0

    /// - Parameter limits: Bounds for the tags read; ``FLVDecodingLimits/default`` unless given.
    public init(limits: FLVDecodingLimits = .default) {
        self.limits = limits
    }

    /// Reads the next bytes of the file.
    ///
    /// Consumes every complete element; bytes of an incomplete one stay in `buffer`, to be
    /// passed again with the bytes that follow them. After the usable part ends, nothing more
    /// is consumed.
    public mutating func consume(_ buffer: inout ByteBuffer) {
        do {
            while let consumed = try step(&buffer) {
                length += consumed
            }
        } catch {
            switch state {
            case .readingTags(let reservedLength): state = .stopped(reservedLength: reservedLength)
            default: state = .failed(error)
            }
        }
    }

    /// How to finish the file, from the bytes consumed so far.
    ///
    /// - Throws: ``FLVDecodingError`` when the file has no complete header and `onMetaData`
    ///   tag: ``FLVDecodingError/Code/missingMetadata`` when it is cut short or its first tag
    ///   is not `onMetaData`, or the header's own error. Such a file holds no media.
    public func finish() throws(FLVDecodingError) -> Result {
        switch state {
        case .expectingHeader, .expectingMetadata:
            throw FLVDecodingError(.missingMetadata)
        case .failed(let error):
            throw error
        case .readingTags(let reservedLength), .stopped(let reservedLength):
            var final = metadata
            final.fileSize = length
            return Result(
                length: length,
                offset: 0,
                bytes: FLVFragmentWriter.frontBytes(final, reservedLength: reservedLength),
                duration: .milliseconds(final.lastTimestamp),
                tagCount: tagCount
            )
        }
    }

    /// Parses one element; returns the bytes it took, or `nil` when more input is needed or
    /// reading has stopped.
    private mutating func step(_ buffer: inout ByteBuffer) throws(FLVDecodingError) -> Int? {
        let before = buffer.readableBytes
        switch state {
        case .expectingHeader:
            guard try FLVTagDecoder.parseHeader(&buffer, limits: limits) != nil else { return nil }
            state = .expectingMetadata
        case .expectingMetadata:
            guard let tag = try FLVTagDecoder.parseTag(&buffer, limits: limits) else { return nil }
            guard tag.type == .scriptData, let properties = FLVOnMetaData.publisherProperties(in: tag.data) else {
                throw FLVDecodingError(.missingMetadata)
            }
            let reservedLength = tag.data.readableBytes
            let capacity = FLVOnMetaData.keyframeCapacity(
                reservedLength: reservedLength,
                publisherProperties: properties
            )
            guard capacity >= 2 else { throw FLVDecodingError(.missingMetadata) }
            metadata = FLVOnMetaData(publisherProperties: properties, keyframeCapacity: capacity)
            state = .readingTags(reservedLength: reservedLength)
        case .readingTags:
            let position = length
            guard let tag = try FLVTagDecoder.parseTag(&buffer, limits: limits) else { return nil }
            let isKeyframe = tag.type == .video && (try? FLVVideoTagHeader(parsing: tag.data))?.isKeyframe == true
            metadata.record(
                tag.type,
                timestamp: tag.timestamp,
                position: position,
                body: tag.data,
                isKeyframe: isKeyframe
            )
            tagCount += 1
        case .stopped, .failed:
            return nil
        }
        return before - buffer.readableBytes
    }
}
