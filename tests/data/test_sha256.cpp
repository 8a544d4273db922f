// tests/sha256.hpp, the checksum test_real_files verifies the data files with.
#include "../helpers.hpp"
#include "../sha256.hpp"

using namespace xgrad;
using namespace xgrad::data;

TEST_CASE("sha256 (used to verify the data files) matches FIPS 180-4's examples") {
  CHECK(testing::sha256_hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(testing::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(testing::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(testing::sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
