package io.docjobs.examples; public class QueueDemo { public static void main(String[] a){} }
