import Foundation
import Synchronization
import Testing

/// The `reel` executable built beside the test bundle, run as a real process.
final class ReelProcess: Sendable {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("reel")
    }

    /// Runs `reel <arguments>` to completion.
    /// - Returns: exit status, standard output and standard error.
    static func run(_ arguments: [String], environment: [String: String] = [:], directory: URL) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("REEL_") }
            .merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    let process: Process
    private let output = CapturedOutput()

    /// Starts `reel serve` in `directory` on free ports and waits until it listens.
    init(directory: URL, arguments: [String] = []) throws {
        process = Process()
        process.executableURL = Self.executable
        process.arguments = ["serve", "--http-port", "0", "--rtmp-port", "0", "--bind", "127.0.0.1"] + arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("REEL_") }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let output = self.output
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.value.withLock { $0.stdout += String(decoding: data, as: UTF8.self) }
        }
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.value.withLock { $0.stderr += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    var stdout: String { output.value.withLock { $0.stdout } }
    var stderr: String { output.value.withLock { $0.stderr } }

    /// The HTTP port once the server has said it is serving.
    func httpPort(timeout: Duration = .seconds(60)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let match = stderr.firstMatch(of: /reel is serving.*http\.port=(\d+)|http\.port=(\d+).*reel is serving/),
                let port = Int(match.1 ?? match.2 ?? "")
            {
                return port
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessFailure(description: "reel did not start serving; stderr:\n\(stderr)")
    }

    /// The RTMP port once the ingest server has said it listens.
    func rtmpPort(timeout: Duration = .seconds(60)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let match = stderr.firstMatch(of: /rtmp\.port=(\d+).*rtmp ingest listening/), let port = Int(match.1) {
                return port
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessFailure(description: "reel did not start RTMP ingest; stderr:\n\(stderr)")
    }

    /// Sends SIGTERM and waits for the exit status.
    func terminate(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async throws -> Int32 {
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(process.processIdentifier, SIGKILL)
                throw ProcessFailure(description: "reel did not stop within \(timeout) after signal \(signal)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// What a running process has written so far.
final class CapturedOutput: Sendable {
    let value: Mutex<(stdout: String, stderr: String)> = Mutex(("", ""))
}

struct ProcessFailure: Error, CustomStringConvertible {
    var description: String
}

/// A new empty folder under the temporary directory.
func temporaryFolder(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
