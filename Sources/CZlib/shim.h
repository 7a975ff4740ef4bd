// zlib (zlib1g-dev): inflate for the gzip-compressed IDX files of Fashion-MNIST.
#pragma once
#include <zlib.h>
