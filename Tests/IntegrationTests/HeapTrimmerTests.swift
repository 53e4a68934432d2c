import App
import Foundation
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct HeapTrimmerTests {
    private static let mib = 1 << 20

    @Test(arguments: [
        // resident, in use, mapped, free, trims
        (100, 20, 10, 70, true),
        (100, 20, 10, 20, false),  // free chunks not resident any more: nothing to give back
        (60, 20, 10, 70, false),  // 30 MiB unused: under the threshold
        (62, 20, 10, 70, false),  // exactly 32 MiB: not above it
        (63, 20, 10, 70, true),
        (40, 60, 0, 100, false),  // more handed out than resident (pages never touched)
    ])
    func decidesFromResidentMemoryAndFreeChunks(case: (Int, Int, Int, Int, Bool)) {
        let (resident, inUse, mapped, free, trims) = `case`
        let heap = HeapTrimmer.HeapStatistics(inUse: inUse * Self.mib, mapped: mapped * Self.mib, free: free * Self.mib)
        #expect(
            HeapTrimmer.shouldTrim(residentAnonymous: resident * Self.mib, heap: heap, threshold: 32 * Self.mib) == trims
        )
    }

    @Test func memoryFreedInAnArenaIsGivenBackToTheSystem() throws {
        #if canImport(Glibc)
        _ = try #require(HeapTrimmer.heapStatistics(), "glibc reports its allocator's totals")
        // 128 MiB in 32-KiB blocks (below the mapping threshold, so from an arena), every page
        // touched; every other block freed leaves 64 MiB of holes the arena cannot give back by
        // itself, as media buffers freed between longer-lived ones do in the server.
        let blocks = (0..<4096).map { _ -> UnsafeMutableRawPointer in
            let block = malloc(32 << 10)!
            memset(block, 1, 32 << 10)
            return block
        }
        defer { for block in blocks.enumerated() where block.offset % 2 == 1 { free(block.element) } }
        for block in blocks.enumerated() where block.offset % 2 == 0 { free(block.element) }
        let before = try #require(HeapTrimmer.residentAnonymousBytes())
        let trimmer = HeapTrimmer(configuration: .init(threshold: 32 * Self.mib), logger: Logger(label: "test"))
        let released = try #require(trimmer.trimIfWorthwhile(), "64 MiB free and resident is worth releasing")
        let after = try #require(HeapTrimmer.residentAnonymousBytes())
        // Each 32-KiB hole gives back its whole pages (7 of its 8 or more).
        #expect(released >= 48 * Self.mib)
        #expect(before - after >= 48 * Self.mib)
        #endif
    }
}
