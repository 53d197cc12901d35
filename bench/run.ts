/** `npm run bench`: runs each benchmark in bench/ and prints its figures. None is measured yet. */
console.log('No benchmarks yet: the Step Functions runtime and load benchmarks land with issues 3 and 8.');
