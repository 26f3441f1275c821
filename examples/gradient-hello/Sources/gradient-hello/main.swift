import DiffRay

print(gradient(at: 5.0) { x in 3 * x * x + 2 * x + 1 })
