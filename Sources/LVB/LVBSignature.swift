import Crypto
import Foundation

/// The HMAC of a version-1 signature (spec §2, `SignatureMethod`).
public enum LVBSignatureMethod: String, Sendable, Hashable, CaseIterable {
    case hmacSHA1 = "HmacSHA1"
    case hmacSHA256 = "HmacSHA256"

    /// The method a request asks for: `HmacSHA256` exactly selects SHA-256; any other value,
    /// or none, means SHA-1 (spec §2).
    public init(parameter: String?) {
        self = parameter == "HmacSHA256" ? .hmacSHA256 : .hmacSHA1
    }
}

/// How a client turns parameter names into the signed string (spec §3, "SDK variance").
///
/// The documented rule replaces every `_` in a name with `.` and sorts the transformed names;
/// the SDKs in the field differ in where they sort and what they replace, and a compatible
/// server accepts each of them.
public enum LVBCanonicalization: Sendable, Hashable, CaseIterable {
    /// Every `_` becomes `.`, sorted after the change (the documentation, the Python SDK, qcloudcli).
    case documented
    /// Every `_` becomes `.`, sorted on the original names (the Java SDK).
    case sortedBeforeReplacing
    /// As ``sortedBeforeReplacing`` but a name that starts with `_` is left whole (the PHP SDK).
    case leadingUnderscoreKept
    /// Only the first `_` becomes `.`, sorted on the original names (the Node SDK).
    case firstUnderscoreOnly
    /// Names are signed as sent, sorted (third-party Go SDK).
    case namesAsSent

    fileprivate func signedName(_ name: String) -> String {
        switch self {
        case .documented, .sortedBeforeReplacing:
            return name.replacingOccurrences(of: "_", with: ".")
        case .leadingUnderscoreKept:
            return name.hasPrefix("_") ? name : name.replacingOccurrences(of: "_", with: ".")
        case .firstUnderscoreOnly:
            guard let range = name.range(of: "_") else { return name }
            return name.replacingCharacters(in: range, with: ".")
        case .namesAsSent:
            return name
        }
    }

    fileprivate var sortsTransformedNames: Bool { self == .documented }
}

/// Builds and checks version-1 request signatures (spec §3).
public enum LVBSignature {
    /// The request path every signature covers.
    public static let path = "/v2/index.php"

    /// The string to sign: `METHOD` + host + path + `?` + the sorted `name=value` pairs,
    /// joined with `&`, values raw (not URL-encoded). `Signature` itself is left out.
    /// - Parameters:
    ///   - method: `GET` or `POST`, upper-cased here.
    ///   - host: the host name, without scheme or port.
    ///   - pairs: every parameter of the request.
    ///   - canonicalization: the client's name rule; the documented one by default.
    ///   - excludingAtValues: leave out values that start with `@` (POST clients that treat them as uploads).
    public static func stringToSign(
        method: String,
        host: String,
        pairs: [LVBParameters.Pair],
        canonicalization: LVBCanonicalization = .documented,
        excludingAtValues: Bool = false
    ) -> String {
        let signed = pairs.filter { pair in
            pair.name != "Signature" && !(excludingAtValues && pair.value.hasPrefix("@"))
        }.map { (original: $0.name, name: canonicalization.signedName($0.name), value: $0.value) }
        let sorted = signed.sorted { a, b in
            canonicalization.sortsTransformedNames
                ? a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
                : a.original.utf8.lexicographicallyPrecedes(b.original.utf8)
        }
        let query = sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        return method.uppercased() + host + path + "?" + query
    }

    /// The Base64 HMAC of `stringToSign` under `secretKey`.
    public static func signature(of stringToSign: String, secretKey: String, method: LVBSignatureMethod) -> String {
        let key = SymmetricKey(data: Array(secretKey.utf8))
        let message = Array(stringToSign.utf8)
        switch method {
        case .hmacSHA1:
            return Data(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key)).base64EncodedString()
        case .hmacSHA256:
            return Data(HMAC<SHA256>.authenticationCode(for: message, using: key)).base64EncodedString()
        }
    }

    /// Signs a request the documented way, as `reel api` does.
    /// - Returns: the value of the `Signature` parameter (not yet URL-encoded).
    public static func sign(
        method: String,
        host: String,
        pairs: [LVBParameters.Pair],
        secretKey: String,
        signatureMethod: LVBSignatureMethod
    ) -> String {
        signature(
            of: stringToSign(method: method, host: host, pairs: pairs),
            secretKey: secretKey,
            method: signatureMethod
        )
    }

    /// Whether `parameters` carry a valid `Signature` under `secretKey` for any signing host in
    /// `hosts` and any client canonicalisation; each candidate is compared in constant time.
    /// - Parameters:
    ///   - method: the HTTP method of the request.
    ///   - hosts: the host names a client may have signed with (the `Host` header without its
    ///     port, and the configured canonical host).
    public static func isValid(
        parameters: LVBParameters,
        method: String,
        hosts: [String],
        secretKey: String
    ) -> Bool {
        guard let provided = parameters["Signature"], let mac = Data(base64Encoded: provided) else { return false }
        let signatureMethod = LVBSignatureMethod(parameter: parameters["SignatureMethod"])
        let key = SymmetricKey(data: Array(secretKey.utf8))
        let hasAtValues = method.uppercased() == "POST" && parameters.pairs.contains { $0.value.hasPrefix("@") }
        var candidates: Set<String> = []
        for host in hosts {
            for canonicalization in LVBCanonicalization.allCases {
                for excluding in hasAtValues ? [false, true] : [false] {
                    candidates.insert(
                        stringToSign(
                            method: method,
                            host: host,
                            pairs: parameters.pairs,
                            canonicalization: canonicalization,
                            excludingAtValues: excluding
                        )
                    )
                }
            }
        }
        var valid = false
        for candidate in candidates {
            let message = Array(candidate.utf8)
            let matches =
                switch signatureMethod {
                case .hmacSHA1: HMAC<Insecure.SHA1>.isValidAuthenticationCode(mac, authenticating: message, using: key)
                case .hmacSHA256: HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: key)
                }
            valid = valid || matches
        }
        return valid
    }
}
