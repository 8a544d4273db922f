// The Prefetcher the DataLoader uses, compiled once here rather than in every user of the loader.
#include "data/prefetcher.hpp"

namespace xgrad::data {

template class Prefetcher<Batch>;

}  // namespace xgrad::data
