import CLibFuzzer

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs libFuzzer on `target` with this process's arguments, then exits with its status.
///
/// Each fuzz target's `main.swift` calls this rather than linking libFuzzer's own `main`, because
/// SwiftPM points `main` at the module's entry point when it links an executable.
/// - Parameter target: The `LLVMFuzzerTestOneInput` function.
public func runLibFuzzer(_ target: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, target))
}
