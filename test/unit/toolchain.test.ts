describe('toolchain', () => {
  it('runs on the same Node major as the Lambda runtime (nodejs24.x)', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});
