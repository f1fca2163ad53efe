int base_value = 21;
int base_twice(int x) { return 2 * x; }
