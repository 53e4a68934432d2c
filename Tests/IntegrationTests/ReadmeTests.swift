import App
import Foundation
import Testing

@Suite struct ReadmeTests {
    @Test func readmeListsEverySettingWithItsEnvironmentVariable() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        for setting in ReelConfiguration.settings {
            #expect(readme.contains("| `--\(setting.name)` | `\(setting.environmentVariable)` |"), "README lacks \(setting.name)")
        }
        let ci = try String(contentsOf: root.appendingPathComponent(".ci/run"), encoding: .utf8)
        #expect(ci.contains("scripts/test"))
        #expect(readme.contains("scripts/test"))
    }
}
