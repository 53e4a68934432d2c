import Foundation

/// The secrets a server keeps in its data folder (`credentials.json`, mode 0600): the API
/// key pair, used when none is configured, and the key of push-auth queries.
public struct Credentials: Codable, Sendable, Hashable {
    public var secretId: String
    public var secretKey: String
    public var pushKey: String

    public static let fileName = "credentials.json"

    public init(secretId: String, secretKey: String, pushKey: String) {
        self.secretId = secretId
        self.secretKey = secretKey
        self.pushKey = pushKey
    }

    /// New random credentials: `AKID` + 32 characters, a 32-character key, a 32-character push key.
    public static func generate() -> Credentials {
        Credentials(secretId: "AKID" + randomToken(32), secretKey: randomToken(32), pushKey: randomToken(32))
    }

    /// Reads the credentials of a data folder.
    /// - Returns: `nil` when the folder has none yet.
    /// - Throws: when the file exists but cannot be read or decoded.
    public static func load(dataDirectory: String) throws -> Credentials? {
        let url = URL(fileURLWithPath: dataDirectory).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try JSONDecoder().decode(Credentials.self, from: Data(contentsOf: url))
    }

    /// Loads the data folder's credentials, or generates and stores them (mode 0600).
    /// - Returns: the credentials and whether they were generated now.
    public static func loadOrCreate(dataDirectory: String) throws -> (Credentials, created: Bool) {
        if let existing = try load(dataDirectory: dataDirectory) { return (existing, false) }
        let credentials = generate()
        let url = URL(fileURLWithPath: dataDirectory).appendingPathComponent(fileName)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(credentials)
        // Created with 0600 before any secret is written, then moved into place.
        let temporary = url.path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary])
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        try FileManager.default.moveItem(atPath: temporary, toPath: url.path)
        return (credentials, true)
    }

    private static func randomToken(_ length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
