#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The environment variable that makes a fuzz target write its seed corpus and exit instead of
/// fuzzing: `FUZZ_WRITE_SEEDS=<directory> FuzzAMF`.
///
/// Seeds are built with the modules' own encoders, so the repository holds no binary inputs and
/// the seeds follow the code.
public let writeSeedsVariable = "FUZZ_WRITE_SEEDS"

/// If ``writeSeedsVariable`` names a directory, writes each seed there as `seed-<n>` and exits.
///
/// Each fuzz target's `main.swift` calls it before handing control to libFuzzer.
/// - Parameter seeds: Builds the seeds; only called when they are asked for.
public func writeSeedsIfAsked(_ seeds: () -> [[UInt8]]) {
    guard let directory = getenv(writeSeedsVariable).map({ String(cString: $0) }), !directory.isEmpty else {
        return
    }
    for (index, seed) in seeds().enumerated() {
        let path = "\(directory)/seed-\(index)"
        guard let file = fopen(path, "wb") else {
            print("cannot create \(path)")
            exit(1)
        }
        let written = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard fclose(file) == 0, written == seed.count else {
            print("cannot write \(path)")
            exit(1)
        }
    }
    exit(0)
}
