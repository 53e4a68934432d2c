import AMF
import App
import ArgumentParser
import FLV
import Foundation
import NIOCore
import Store

/// `reel fragments`: tools for recorded fragment files.
struct Fragments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fragments",
        abstract: "Inspect recorded fragments.",
        subcommands: [Check.self]
    )
}

extension Fragments {
    /// `reel fragments check <file|vid>`: validates one fragment and prints what it holds.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a fragment; print its metadata, tag counts and keyframe index.",
            discussion: """
                The argument is a path to an .flv file, or a vid looked up in the store of the data \
                folder (--data, else REEL_DATA, else the config file's 'data', else ./reel-data), \
                opened read-only, so this runs beside a server. Checks the FLV header, every tag \
                and PreviousTagSize, that timestamps never go back, that onMetaData comes first with \
                the file's duration and filesize, and that every keyframe index entry points at a \
                video keyframe with the entry's time. Exits 0 when the fragment is valid, 1 when it \
                is not (each problem is printed to standard error).
                """
        )

        @Argument(help: "A fragment file (.flv) or a vid.") var fragment: String
        @Option(help: "Data folder holding the store (default $REEL_DATA or ./reel-data).") var data: String?
        @Option(help: "A config file of 'name = value' lines (default $REEL_CONFIG).") var config: String?

        func run() async throws {
            let path = try await locate()
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ValidationError("cannot open \(path)")
            }
            defer { try? handle.close() }
            var check = FLVFragmentCheck()
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                check.consume(ByteBuffer(bytes: chunk))
            }
            let report = check.finish()
            print(Self.describe(report, path: path, vid: path == fragment ? nil : fragment), terminator: "")
            guard report.isValid else {
                var errors = report.findings.map { "error: \($0)\n" }.joined()
                if report.omittedFindings > 0 {
                    errors += "error: \(report.omittedFindings) more problems not listed\n"
                }
                errors += "\(path): not a valid fragment (\(report.findings.count + report.omittedFindings) problems)\n"
                FileHandle.standardError.write(Data(errors.utf8))
                throw ExitCode(1)
            }
        }

        /// The file to check: the argument when it names a file, else the stored path of the vid.
        func locate() async throws -> String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: fragment, isDirectory: &isDirectory) {
                guard !isDirectory.boolValue else {
                    throw ValidationError("\(fragment) is a folder, not a fragment file")
                }
                return fragment
            }
            let environment = ProcessInfo.processInfo.environment
            let configText = try (config ?? environment["REEL_CONFIG"]).map {
                try String(contentsOfFile: $0, encoding: .utf8)
            }
            let configuration: ReelConfiguration
            do {
                configuration = try ReelConfiguration.resolve(
                    flags: data.map { ["data": $0] } ?? [:],
                    environment: environment,
                    configFile: configText
                )
            } catch let error as ReelConfiguration.InvalidSetting {
                throw ValidationError(error.description)
            }
            let folder = configuration.dataDirectory
            let database = URL(fileURLWithPath: folder).appendingPathComponent("reel.sqlite").path
            guard FileManager.default.fileExists(atPath: database) else {
                throw ValidationError("'\(fragment)' is no file, and \(folder) holds no store to look it up as a vid")
            }
            let store = try SQLiteRecordingStore(readingAt: database)
            guard let stored = try await store.fragment(vid: fragment) else {
                throw ValidationError("'\(fragment)' is no file, and no fragment of \(folder) has that vid")
            }
            return (folder as NSString).appendingPathComponent(stored.path)
        }

        /// The report as text: file, metadata, tag counts, keyframe index, verdict.
        static func describe(_ report: FLVFragmentCheck.Report, path: String, vid: String?) -> String {
            var text = ""
            if let vid { text += "vid       \(vid)\n" }
            text += "file      \(path)\n"
            text += "size      \(report.fileSize) bytes\n"
            if let header = report.header {
                let kinds = [header.hasVideo ? "video" : nil, header.hasAudio ? "audio" : nil].compactMap { $0 }
                text +=
                    "header    FLV \(FLVHeader.version), flags: \(kinds.isEmpty ? "none" : kinds.joined(separator: ", "))\n"
            }
            text += "duration  \(seconds(Double(report.lastTimestamp) / 1000)) s (last tag timestamp)\n"
            if let metadata = report.metadata {
                text += "metadata\n"
                for property in metadata.properties where !["keyframes", "padding"].contains(property.name) {
                    let gap = String(repeating: " ", count: max(2, 24 - property.name.count))
                    text += "  \(property.name)\(gap)\(value(property.value, of: property.name))\n"
                }
            }
            text += "tags      \(report.tagCount) (video \(report.videoTags), audio \(report.audioTags), "
            text += "script \(report.scriptTags)), \(report.keyframes) video keyframes\n"
            text += "index     \(report.index.count) entries (time s -> byte offset)\n"
            for entry in report.index {
                let time = seconds(entry.time)
                text += "  \(String(repeating: " ", count: max(0, 10 - time.count)))\(time) -> \(entry.position)\n"
            }
            text += report.isValid ? "valid\n" : "invalid\n"
            return text
        }

        static func value(_ value: AMF0Value, of name: String) -> String {
            switch value {
            case .number(let number):
                let text = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
                guard let codec = codecName(number, of: name) else { return text }
                return "\(text) (\(codec))"
            case .boolean(let flag): return String(flag)
            case .string(let string): return "\"\(string)\""
            default: return "\(value)"
            }
        }

        /// The codec an `onMetaData` codec id names: a legacy id, or an enhanced RTMP FourCC.
        static func codecName(_ id: Double, of name: String) -> String? {
            guard name == "videocodecid" || name == "audiocodecid", let code = UInt32(exactly: id) else { return nil }
            let legacy: [UInt32: String] =
                name == "videocodecid"
                ? [
                    2: "Sorenson H.263", 3: "screen video", 4: "On2 VP6", 5: "On2 VP6 alpha", 6: "screen video 2",
                    7: "AVC", 12: "HEVC",
                ]
                : [
                    0: "PCM", 1: "ADPCM", 2: "MP3", 3: "PCM LE", 7: "G.711 A-law", 8: "G.711 mu-law", 10: "AAC",
                    11: "Speex",
                ]
            if let known = legacy[code] { return known }
            guard code > 0xFF else { return nil }
            let bytes = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: code >> $0) }
            guard bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }

        static func seconds(_ value: Double) -> String {
            String(format: "%.3f", value)
        }
    }
}
