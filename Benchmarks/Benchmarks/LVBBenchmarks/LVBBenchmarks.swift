import Benchmark
import BenchmarkSupport
import LVB

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .reel()

    // One operation: checking the signature of a signed API request against the request's host
    // and the canonical host, under every client canonicalization, as the authenticator does.
    Benchmark(
        "LVBSignature.isValid",
        closure: { benchmark, request in
            for _ in benchmark.scaledIterations {
                let valid = LVBSignature.isValid(
                    parameters: request.parameters,
                    method: "GET",
                    hosts: request.hosts,
                    secretKey: request.secretKey
                )
                precondition(valid)
            }
        },
        setup: { try SignedRequest() }
    )
}

/// A `DescribeLVBChannel` GET request signed with HmacSHA1 the documented way, as an SDK sends it.
struct SignedRequest {
    let secretKey = "Kx7dQ2mVb9RfT4wLp8sZc3NyHj6uGe5A"
    let hosts = ["reel.example.com", "live.api.qcloud.com"]
    let parameters: LVBParameters

    init() throws {
        let pairs = [
            LVBParameters.Pair(name: "Action", value: "DescribeLVBChannel"),
            LVBParameters.Pair(name: "Region", value: "gz"),
            LVBParameters.Pair(name: "Timestamp", value: "1800000000"),
            LVBParameters.Pair(name: "Nonce", value: "2984712"),
            LVBParameters.Pair(name: "SecretId", value: "AKIDReelBenchmark0123456789"),
            LVBParameters.Pair(name: "channelId", value: "16093104850681751595"),
        ]
        let signature = LVBSignature.sign(
            method: "GET",
            host: hosts[0],
            pairs: pairs,
            secretKey: secretKey,
            signatureMethod: .hmacSHA1
        )
        parameters = try LVBParameters(pairs + [LVBParameters.Pair(name: "Signature", value: signature)])
    }
}
