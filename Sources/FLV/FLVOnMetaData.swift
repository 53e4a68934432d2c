import AMF
import NIOCore

/// The `onMetaData` script tag body a fragment carries at its front (Adobe FLV v10.1,
/// Annex E.5), built so that its final version fits exactly in the space reserved when the
/// fragment was opened.
///
/// The body is the AMF0 string `onMetaData` and an ECMA array, in this order: `duration`, the
/// publisher's kept properties (``keptPublisherProperties``), `videocodecid`, `audiocodecid`
/// (each only when that kind of media was written), `filesize`, `hasVideo`, `hasAudio`,
/// `hasMetadata`, `hasKeyframes`, `lasttimestamp`, `lastkeyframetimestamp`, `keyframes`
/// (`times`, `filepositions`) and `padding`, a strict array of strings of spaces.
///
/// Size is deterministic: numbers and booleans have fixed AMF0 sizes, the publisher's
/// properties are fixed when the fragment opens, and the keyframe arrays hold at most
/// `keyframes.capacity` entries of 18 bytes each. The reserved length is the encoding with
/// every optional field present, a full index and the smallest padding (one empty string); the
/// final encoding is grown to that length with padding. Padding strings are at most
/// ``maximumPaddingStringLength`` bytes: FFmpeg's FLV demuxer reads script strings into a
/// 256-byte buffer and reports an error on longer ones.
struct FLVOnMetaData: Sendable, Hashable {
    /// Publisher `onMetaData` properties copied into fragments, when they are numbers,
    /// booleans or strings of at most ``maximumPublisherStringLength`` bytes.
    static let keptPublisherProperties: Set<String> = [
        "width", "height", "framerate", "videodatarate", "audiodatarate", "audiosamplerate",
        "audiosamplesize", "audiochannels", "stereo", "encoder",
    ]
    static let maximumPublisherStringLength = 256
    /// Encoded bytes per keyframe index entry: one number in each array.
    static let bytesPerKeyframe = 18
    /// The longest string in the padding array.
    static let maximumPaddingStringLength = 255

    var publisherProperties: [AMFObject.Property]
    var keyframes: FLVKeyframeIndex
    var videoCodecID: Double?
    var audioCodecID: Double?
    var lastTimestamp: UInt32 = 0
    var lastKeyframeTimestamp: UInt32 = 0
    var fileSize = 0

    init(publisherProperties: [AMFObject.Property], keyframeCapacity: Int) {
        self.publisherProperties = publisherProperties
        self.keyframes = FLVKeyframeIndex(capacity: keyframeCapacity)
    }

    /// Accounts for one tag written to the fragment.
    ///
    /// - Parameters:
    ///   - type: The tag type.
    ///   - timestamp: Its timestamp in the fragment.
    ///   - position: The byte offset of its tag header in the file.
    ///   - body: Its body, whose header names the codec.
    ///   - isKeyframe: It is a video keyframe to index.
    mutating func record(_ type: FLVTagType, timestamp: UInt32, position: Int, body: ByteBuffer, isKeyframe: Bool) {
        switch type {
        case .video:
            if videoCodecID == nil, let codec = (try? FLVVideoTagHeader(parsing: body))?.codec {
                videoCodecID = codec.metadataCodecID
            }
            if isKeyframe {
                keyframes.append(time: Double(timestamp) / 1000, filePosition: position)
                lastKeyframeTimestamp = timestamp
            }
        case .audio:
            if audioCodecID == nil, let codec = (try? FLVAudioTagHeader(parsing: body))?.codec {
                audioCodecID = codec.metadataCodecID
            }
        case .scriptData:
            break
        }
        lastTimestamp = max(lastTimestamp, timestamp)
    }

    /// The encoded body, grown with padding to exactly `reservedLength` bytes.
    func encoded(reservedLength: Int) -> ByteBuffer {
        let unpadded = Self.encode(self, times: keyframes.times, filePositions: keyframes.filePositions, padding: 0)
        let padding = reservedLength - unpadded.readableBytes
        precondition(padding >= 0, "onMetaData is \(-padding) bytes over its reserved length")
        guard padding > 0 else { return unpadded }
        let padded = Self.encode(self, times: keyframes.times, filePositions: keyframes.filePositions, padding: padding)
        precondition(padded.readableBytes == reservedLength, "padded onMetaData is \(padded.readableBytes) bytes")
        return padded
    }

    /// The body length reserved for these publisher properties and this keyframe capacity.
    static func reservedLength(publisherProperties: [AMFObject.Property], keyframeCapacity: Int) -> Int {
        var worst = FLVOnMetaData(publisherProperties: publisherProperties, keyframeCapacity: max(keyframeCapacity, 2))
        worst.videoCodecID = 0
        worst.audioCodecID = 0
        let entries = [Double](repeating: 0, count: keyframeCapacity)
        return encode(worst, times: entries, filePositions: entries, padding: 0).readableBytes
    }

    /// The keyframe capacity a reserved body of `reservedLength` bytes was sized for.
    static func keyframeCapacity(reservedLength: Int, publisherProperties: [AMFObject.Property]) -> Int {
        let base = Self.reservedLength(publisherProperties: publisherProperties, keyframeCapacity: 0)
        return (reservedLength - base) / bytesPerKeyframe
    }

    private static func encode(
        _ metadata: FLVOnMetaData,
        times: [Double],
        filePositions: [Double],
        padding: Int
    ) -> ByteBuffer {
        var object = AMFObject()
        object["duration"] = .number(Double(metadata.lastTimestamp) / 1000)
        object.properties += metadata.publisherProperties
        if let videoCodecID = metadata.videoCodecID { object["videocodecid"] = .number(videoCodecID) }
        if let audioCodecID = metadata.audioCodecID { object["audiocodecid"] = .number(audioCodecID) }
        object["filesize"] = .number(Double(metadata.fileSize))
        object["hasVideo"] = .boolean(metadata.videoCodecID != nil)
        object["hasAudio"] = .boolean(metadata.audioCodecID != nil)
        object["hasMetadata"] = .boolean(true)
        object["hasKeyframes"] = .boolean(!times.isEmpty)
        object["lasttimestamp"] = .number(Double(metadata.lastTimestamp) / 1000)
        object["lastkeyframetimestamp"] = .number(Double(metadata.lastKeyframeTimestamp) / 1000)
        object["keyframes"] = .object([
            "times": .strictArray(times.map(AMF0Value.number)),
            "filepositions": .strictArray(filePositions.map(AMF0Value.number)),
        ])
        object["padding"] = .strictArray(paddingStrings(growingBy: padding).map(AMF0Value.string))
        var buffer = ByteBuffer()
        buffer.writeAMF0Value(.string("onMetaData"))
        buffer.writeAMF0Value(.ecmaArray(object))
        return buffer
    }

    /// Strings of spaces, each at most ``maximumPaddingStringLength`` bytes, whose strict array
    /// encodes `extra` bytes longer than the array of one empty string.
    static func paddingStrings(growingBy extra: Int) -> [String] {
        // Each string costs a marker and a 16-bit length (3 bytes) before its spaces.
        let perString = 3 + maximumPaddingStringLength
        let total = 3 + extra
        let count = max(1, (total + perString - 1) / perString)
        var spaces = total - 3 * count
        return (0..<count).map { index in
            let length = index == count - 1 ? spaces : min(spaces, maximumPaddingStringLength)
            spaces -= length
            return String(repeating: " ", count: length)
        }
    }

    /// The kept publisher properties of a script tag body holding `onMetaData` (possibly behind
    /// `@setDataFrame`, as RTMP publishers send it), or `nil` when the body is not `onMetaData`
    /// or is not valid AMF0.
    static func publisherProperties(in body: ByteBuffer) -> [AMFObject.Property]? {
        var buffer = body
        guard var values = try? buffer.readAMF0Values()[...] else { return nil }
        if values.first == .string("@setDataFrame") { values = values.dropFirst() }
        guard values.first == .string("onMetaData"), values.count >= 2 else { return nil }
        let object: AMFObject
        switch values[values.startIndex + 1] {
        case .ecmaArray(let properties), .object(let properties): object = properties
        default: return nil
        }
        return object.properties.filter { property in
            guard keptPublisherProperties.contains(property.name) else { return false }
            switch property.value {
            case .number, .boolean: return true
            case .string(let string): return string.utf8.count <= maximumPublisherStringLength
            default: return false
            }
        }
    }
}
