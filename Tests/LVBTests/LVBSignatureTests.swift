import Testing

@testable import LVB

@Suite struct LVBSignatureTests {
    static let docKey = "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA"

    static func pairs(_ list: [(String, String)]) -> [LVBParameters.Pair] {
        list.map { LVBParameters.Pair(name: $0.0, value: $0.1) }
    }

    @Test func documentedExampleStringToSignAndSignature() {
        let pairs = Self.pairs(
            [
                ("Action", "DescribeInstances"), ("Nonce", "11886"), ("Region", "gz"),
                ("SecretId", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA"), ("Timestamp", "1465185768"),
                ("instanceIds.0", "ins-09dx96dg"), ("limit", "20"), ("offset", "0"),
            ].shuffled()
        )
        let stringToSign = LVBSignature.stringToSign(method: "GET", host: "cvm.api.qcloud.com", pairs: pairs)
        #expect(
            stringToSign
                == "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&Nonce=11886&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&Timestamp=1465185768&instanceIds.0=ins-09dx96dg&limit=20&offset=0"
        )
        #expect(
            LVBSignature.signature(of: stringToSign, secretKey: Self.docKey, method: .hmacSHA1)
                == "NSI3UqqD99b/UJb4tbG/xZpRW64="
        )
        #expect(LVBParameters.percentEncode("NSI3UqqD99b/UJb4tbG/xZpRW64=") == "NSI3UqqD99b%2FUJb4tbG%2FxZpRW64%3D")
    }

    static let pythonSDKBase: [(String, String)] = [
        ("SecretId", "secretIdFoo"), ("Region", "ap-guangzhou"), ("Nonce", "1290303896666895346"),
        ("Timestamp", "1512393162"), ("Action", "DescribeInstances"), ("Version", "2017-03-12"),
    ]

    @Test(arguments: [
        ("POST", LVBSignatureMethod.hmacSHA1, "p3n+pxBqF5JGZtDSxoVn5tGngf0="),
        ("GET", .hmacSHA1, "5HAq1BOKNLEE2/uauWnp6Zv9Z3c="),
        ("POST", .hmacSHA256, "B2T37FRSP6Fk0/q/cdfrTE0p3zX5ooB/2BPWZUFpsj4="),
    ])
    func pythonSDKVectors(method: String, signatureMethod: LVBSignatureMethod, expected: String) throws {
        let pairs = Self.pairs(Self.pythonSDKBase + [("SignatureMethod", signatureMethod.rawValue)])
        let signature = LVBSignature.sign(
            method: method,
            host: "cvm.api.qcloud.com",
            pairs: pairs,
            secretKey: "secretKeyBar",
            signatureMethod: signatureMethod
        )
        #expect(signature == expected)
        // The server side accepts it, picking the HMAC from SignatureMethod.
        let parameters = try LVBParameters(pairs + [.init(name: "Signature", value: expected)])
        #expect(
            LVBSignature.isValid(
                parameters: parameters,
                method: method,
                hosts: ["cvm.api.qcloud.com"],
                secretKey: "secretKeyBar"
            )
        )
        #expect(
            !LVBSignature.isValid(
                parameters: parameters,
                method: method == "GET" ? "POST" : "GET",
                hosts: ["cvm.api.qcloud.com"],
                secretKey: "secretKeyBar"
            )
        )
    }

    @Test func createRecordExampleWithSpacesInValues() {
        let pairs = Self.pairs([
            ("Action", "CreateRecord"), ("Nonce", "345122"), ("Region", "gz"),
            ("SecretId", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA"), ("Timestamp", "1453348800"),
            ("channelId", "16093104850681751595"), ("endTime", "2016-01-22 12:00:00"),
            ("startTime", "2016-01-21 12:00:00"),
        ])
        #expect(
            LVBSignature.sign(
                method: "GET",
                host: "live.api.qcloud.com",
                pairs: pairs,
                secretKey: Self.docKey,
                signatureMethod: .hmacSHA1
            )
                == "s5lCBAOp8ZMw0bLYPJLhUtbU/zA="
        )
    }

    @Test func signatureMethodSelection() {
        #expect(LVBSignatureMethod(parameter: "HmacSHA256") == .hmacSHA256)
        #expect(LVBSignatureMethod(parameter: nil) == .hmacSHA1)
        #expect(LVBSignatureMethod(parameter: "HmacSHA1") == .hmacSHA1)
        #expect(LVBSignatureMethod(parameter: "hmacsha256") == .hmacSHA1)
        #expect(LVBSignatureMethod(parameter: "") == .hmacSHA1)
    }

    /// Names that tell the client variants apart: underscores in several places, a leading
    /// underscore, and names whose order changes when `_` becomes `.`.
    static let trickyPairs: [(String, String)] = [
        ("Action", "CreateRecord"), ("Nonce", "7"), ("SecretId", "AKIDtest"), ("Timestamp", "1700000000"),
        ("channelId", "42"), ("start_time", "2016-01-21 12:00:00"), ("end_time_x", "v"), ("_private", "p"),
        ("a_b", "1"), ("a.c", "2"), ("ab", "3"),
    ]

    @Test(arguments: LVBCanonicalization.allCases)
    func everyClientVariantIsAccepted(variant: LVBCanonicalization) throws {
        for method in ["GET", "POST"] {
            let pairs = Self.pairs(Self.trickyPairs)
            let stringToSign = LVBSignature.stringToSign(
                method: method,
                host: "live.api.qcloud.com",
                pairs: pairs,
                canonicalization: variant
            )
            let signature = LVBSignature.signature(of: stringToSign, secretKey: "k", method: .hmacSHA1)
            let parameters = try LVBParameters(pairs + [.init(name: "Signature", value: signature)])
            #expect(
                LVBSignature.isValid(
                    parameters: parameters,
                    method: method,
                    hosts: ["example.org", "live.api.qcloud.com"],
                    secretKey: "k"
                )
            )
            #expect(
                !LVBSignature.isValid(parameters: parameters, method: method, hosts: ["example.org"], secretKey: "k")
            )
            #expect(
                !LVBSignature.isValid(
                    parameters: parameters,
                    method: method,
                    hosts: ["live.api.qcloud.com"],
                    secretKey: "K"
                )
            )
        }
    }

    @Test func variantsReallyDiffer() {
        let pairs = Self.pairs(Self.trickyPairs)
        let strings = Set(
            LVBCanonicalization.allCases.map {
                LVBSignature.stringToSign(method: "GET", host: "h", pairs: pairs, canonicalization: $0)
            }
        )
        #expect(strings.count == LVBCanonicalization.allCases.count)
        let node = LVBSignature.stringToSign(
            method: "GET",
            host: "h",
            pairs: pairs,
            canonicalization: .firstUnderscoreOnly
        )
        #expect(node.contains("end.time_x=v"))
        let php = LVBSignature.stringToSign(
            method: "GET",
            host: "h",
            pairs: pairs,
            canonicalization: .leadingUnderscoreKept
        )
        #expect(php.contains("_private=p") && php.contains("start.time="))
    }

    @Test func postClientsThatLeaveOutAtValues() throws {
        var pairs = Self.pairs(Self.trickyPairs)
        pairs.append(.init(name: "upload", value: "@/tmp/file"))
        let withoutAt = LVBSignature.stringToSign(method: "POST", host: "h", pairs: pairs, excludingAtValues: true)
        #expect(!withoutAt.contains("upload"))
        let signature = LVBSignature.signature(of: withoutAt, secretKey: "k", method: .hmacSHA256)
        let parameters = try LVBParameters(
            pairs + [.init(name: "SignatureMethod", value: "HmacSHA256"), .init(name: "Signature", value: signature)]
        )
        // SignatureMethod was added after signing, so this must fail…
        #expect(!LVBSignature.isValid(parameters: parameters, method: "POST", hosts: ["h"], secretKey: "k"))
        // …and succeed when it was signed too.
        let signedPairs = pairs + [.init(name: "SignatureMethod", value: "HmacSHA256")]
        let good = LVBSignature.signature(
            of: LVBSignature.stringToSign(method: "POST", host: "h", pairs: signedPairs, excludingAtValues: true),
            secretKey: "k",
            method: .hmacSHA256
        )
        let accepted = try LVBParameters(signedPairs + [.init(name: "Signature", value: good)])
        #expect(LVBSignature.isValid(parameters: accepted, method: "POST", hosts: ["h"], secretKey: "k"))
        // A GET never drops @ values.
        #expect(!LVBSignature.isValid(parameters: accepted, method: "GET", hosts: ["h"], secretKey: "k"))
    }

    @Test func changedParameterOrGarbageSignatureIsRejected() throws {
        let pairs = Self.pairs(Self.trickyPairs)
        let signature = LVBSignature.sign(
            method: "GET",
            host: "h",
            pairs: pairs,
            secretKey: "k",
            signatureMethod: .hmacSHA1
        )
        var changed = pairs
        changed[4].value = "43"
        for candidate in [
            changed + [.init(name: "Signature", value: signature)],
            pairs + [.init(name: "Signature", value: "not base64!")],
            pairs + [.init(name: "Signature", value: "")],
            pairs + [.init(name: "Signature", value: String(signature.dropLast(2)) + "A=")],
        ] {
            #expect(
                !LVBSignature.isValid(
                    parameters: try LVBParameters(candidate),
                    method: "GET",
                    hosts: ["h"],
                    secretKey: "k"
                )
            )
        }
    }
}
