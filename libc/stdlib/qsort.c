/*
 * qsort and bsearch. qsort is a heapsort: O(n log n) in the worst case, no recursion and no extra
 * memory, which matters more in a small user library than quicksort's better constant. Like every
 * qsort it is not stable.
 */
#include <stdbool.h>

#include "../include/stdlib.h"

typedef int (*compare_fn)(const void *, const void *);

static void swap_bytes(unsigned char *a, unsigned char *b, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		unsigned char t = a[i];
		a[i] = b[i];
		b[i] = t;
	}
}

/* Moves element root down the max-heap of count elements until both children are no larger. */
static void sift_down(unsigned char *base, size_t root, size_t count, size_t size, compare_fn cmp)
{
	for (;;) {
		size_t child = 2 * root + 1;
		if (child >= count)
			return;
		if (child + 1 < count && cmp(base + child * size, base + (child + 1) * size) < 0)
			child++;
		if (cmp(base + root * size, base + child * size) >= 0)
			return;
		swap_bytes(base + root * size, base + child * size, size);
		root = child;
	}
}

void __LIBC_NAME(qsort)(void *base, size_t count, size_t size, compare_fn compare)
{
	unsigned char *b = base;

	if (count < 2 || size == 0)
		return;
	for (size_t i = count / 2; i-- > 0;)
		sift_down(b, i, count, size, compare);
	for (size_t end = count - 1; end > 0; end--) {
		swap_bytes(b, b + end * size, size);
		sift_down(b, 0, end, size, compare);
	}
}

void *__LIBC_NAME(bsearch)(const void *key, const void *base, size_t count, size_t size,
			   compare_fn compare)
{
	const unsigned char *b = base;
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int order = compare(key, b + mid * size);
		if (order == 0)
			return (void *)(b + mid * size);
		if (order < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
