package githubapi

// UsableURL is usable, for the tests of package githubapi_test.
var UsableURL = usable
