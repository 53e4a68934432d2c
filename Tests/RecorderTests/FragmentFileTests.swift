import FLV
import Foundation
import NIOCore
import Testing

@testable import Recorder

@Suite struct FragmentFileTests {
    /// A body of `count` bytes, each from `seed`, as its own buffer or a slice of a larger one.
    private static func body(_ count: Int, seed: Int, slice: Bool) -> ByteBuffer {
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: seed &* 31 &+ $0) }
        guard slice else { return ByteBuffer(bytes: bytes) }
        var larger = ByteBuffer(bytes: [0xEE, 0xEE] + bytes + [0xEE])
        larger.moveReaderIndex(forwardBy: 2)
        return larger.readSlice(length: count)!
    }

    @Test func gatherWritesKeepEveryByteInOrderAcrossThousandsOfPieces() async throws {
        let folder = try temporaryDataFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/a/b.flv.part"
        let file = try await FragmentFile.create(partPath: path)
        var expected = ByteBuffer()
        let front = Self.body(13, seed: 1, slice: false)
        try await file.append(front)
        expected.writeImmutableBuffer(front)
        // 3,000 tags alternating bodies just over and under the slicing threshold: more than
        // a thousand pieces per flush, flushes triggered by size, and small bodies copied.
        for index in 0..<3_000 {
            let size = index % 3 == 0 ? FragmentFile.sliceThreshold - 1 : FragmentFile.sliceThreshold + index % 7
            let data = Self.body(size, seed: index, slice: index % 2 == 0)
            let type: FLVTagType = index % 3 == 0 ? .audio : .video
            try await file.appendTag(type: type, timestamp: UInt32(index * 40), data: data)
            expected.writeFLVTagHeader(type: type, timestamp: UInt32(index * 40), dataSize: size)
            expected.writeImmutableBuffer(data)
            expected.writeInteger(UInt32(FLVTag.headerLength + size))
            #expect(file.size == expected.readableBytes)
        }
        // Truncating drops what follows, buffered or not; appends continue from there.
        let cut = expected.readableBytes - 5_000
        try await file.truncate(to: cut)
        expected.moveWriterIndex(to: cut)
        let after = Self.body(70_000, seed: 9, slice: true)
        try await file.append(after)
        expected.writeImmutableBuffer(after)
        #expect(file.hasPendingBytes)
        try await file.flush()
        #expect(!file.hasPendingBytes)
        // Completing writes the front again at 0 and cuts to the final length.
        let newFront = Self.body(13, seed: 2, slice: false)
        try await file.complete(writing: newFront, at: 0, length: expected.readableBytes - 100)
        expected.setBuffer(newFront, at: 0)
        expected.moveWriterIndex(to: expected.readableBytes - 100)
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(written.count == expected.readableBytes)
        #expect(written == Data(expected.readableBytesView))
    }

    @Test func abandoningWritesWhatIsBufferedAndKeepsThePartFile() async throws {
        let folder = try temporaryDataFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/c.flv.part"
        let file = try await FragmentFile.create(partPath: path)
        let first = Self.body(5_000, seed: 3, slice: true)
        let second = Self.body(10, seed: 4, slice: false)
        try await file.append(first)
        try await file.append(second)
        file.abandon()
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(written == Data(first.readableBytesView) + Data(second.readableBytesView))
    }
}
