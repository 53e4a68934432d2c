import AMF
import NIOCore

@testable import FLV

/// Builds tag bodies and interleaved A/V streams the way an RTMP publisher sends them: the
/// test-only encoder playing the publisher.
enum Synthetic {
    /// An AVC sequence header (AVCPacketType 0) with a placeholder configuration record.
    static func videoSequenceHeader(_ marker: UInt8 = 1) -> ByteBuffer {
        ByteBuffer(bytes: [0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1F, marker])
    }

    /// An AAC sequence header (AACPacketType 0): AudioSpecificConfig for 44.1 kHz stereo LC.
    static func audioSequenceHeader() -> ByteBuffer {
        ByteBuffer(bytes: [0xAF, 0x00, 0x12, 0x10])
    }

    /// An AVC NALU tag body whose payload carries `serial`, so tests can tell tags apart.
    static func videoFrame(keyframe: Bool, serial: Int) -> ByteBuffer {
        var buffer = ByteBuffer(bytes: [keyframe ? 0x17 : 0x27, 0x01, 0x00, 0x00, 0x00])
        buffer.writeInteger(UInt64(serial))
        return buffer
    }

    /// `@setDataFrame onMetaData {...}` as a publisher sends it.
    static func metadataBody(width: Double = 1280) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeAMF0Value(.string("@setDataFrame"))
        buffer.writeAMF0Value(.string("onMetaData"))
        buffer.writeAMF0Value(
            .ecmaArray([
                "duration": .number(0),
                "width": .number(width),
                "height": .number(720),
                "framerate": .number(25),
                "videodatarate": .number(2500),
                "audiosamplerate": .number(44100),
                "stereo": .boolean(true),
                "encoder": .string("synthetic"),
                "filesize": .number(0),
                "custom": .string("dropped"),
            ])
        )
        return buffer
    }

    static func metadata(at timestamp: Int64 = 0, width: Double = 1280) -> FLVMediaTag {
        FLVMediaTag(type: .scriptData, timestamp: timestamp, data: metadataBody(width: width))
    }

    /// An interleaved stream: video at `fps` with a keyframe every `gop` milliseconds, audio
    /// every `audioInterval` milliseconds; `nil` leaves that kind out. Serials count from
    /// `firstSerial`, unique per tag.
    struct Stream {
        var start: Int64 = 0
        var fps: Int? = 25
        var gop: Int64 = 2000
        var audioInterval: Int64? = 40
        var firstSerial = 0

        func tags(until end: Int64) -> [FLVMediaTag] {
            // One buffer for every body, sliced per tag: hours of tags without an allocation each.
            var video: [(Int64, Bool)] = []
            if let fps {
                let frameInterval = 1000 / Int64(fps)
                video = Swift.stride(from: start, to: end, by: Int(frameInterval)).map {
                    ($0, ($0 - start) % gop < frameInterval)
                }
            }
            let audio = audioInterval.map { Array(Swift.stride(from: start, to: end, by: Int($0))) } ?? []
            // Write every body first, then slice: a write after a slice would copy the buffer.
            var bodies = ByteBuffer()
            bodies.reserveCapacity((video.count + audio.count) * 13)
            var placed: [(type: FLVTagType, time: Int64, keyframe: Bool, start: Int)] = []
            placed.reserveCapacity(video.count + audio.count)
            var serial = firstSerial
            var (videoIndex, audioIndex) = (0, 0)
            // Merge in timestamp order; at equal timestamps video first, as publishers interleave.
            while videoIndex < video.count || audioIndex < audio.count {
                let bodyStart = bodies.writerIndex
                if audioIndex == audio.count || videoIndex < video.count && video[videoIndex].0 <= audio[audioIndex] {
                    let (time, keyframe) = video[videoIndex]
                    bodies.writeBytes([keyframe ? 0x17 : 0x27, 0x01, 0x00, 0x00, 0x00])
                    placed.append((.video, time, keyframe, bodyStart))
                    videoIndex += 1
                } else {
                    bodies.writeBytes([0xAF, 0x01])
                    placed.append((.audio, audio[audioIndex], false, bodyStart))
                    audioIndex += 1
                }
                bodies.writeInteger(UInt64(serial))
                serial += 1
            }
            let ends = placed.dropFirst().map(\.start) + [bodies.writerIndex]
            let tags = zip(placed, ends).map { tag, end in
                FLVMediaTag(
                    type: tag.type,
                    timestamp: tag.time,
                    isKeyframe: tag.keyframe,
                    isSequenceHeader: false,
                    data: bodies.getSlice(at: tag.start, length: end - tag.start)!
                )
            }
            return tags
        }
    }

    static func headers(at timestamp: Int64 = 0, video: Bool = true, audio: Bool = true) -> [FLVMediaTag] {
        var tags: [FLVMediaTag] = [metadata(at: timestamp)]
        if video { tags.append(FLVMediaTag(type: .video, timestamp: timestamp, data: videoSequenceHeader())) }
        if audio { tags.append(FLVMediaTag(type: .audio, timestamp: timestamp, data: audioSequenceHeader())) }
        return tags
    }
}

extension FLVMediaTag {
    /// The serial a synthetic frame carries, or `nil` for headers and script data.
    var serial: Int? {
        guard isFrame, data.readableBytes >= 8 else { return nil }
        return data.getInteger(at: data.writerIndex - 8, as: UInt64.self).map(Int.init)
    }
}
