import FuzzSupport

writeSeedsIfAsked(seeds)
runLibFuzzer(fuzzChunkDecoder)
