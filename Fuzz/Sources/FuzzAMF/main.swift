import FuzzSupport

writeSeedsIfAsked(seeds)
runLibFuzzer(fuzzAMF)
