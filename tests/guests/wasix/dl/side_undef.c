// Imports a function nothing defines: RTLD_NOW must refuse it.
int no_such_function(int);
int undef_call(int x) { return no_such_function(x); }
