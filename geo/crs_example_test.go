package geo_test

import (
	"fmt"

	"github.com/hexcover/hexcover/geo"
)

func ExampleOutOfChina() {
	fmt.Println(geo.OutOfChina(121.47, 31.23)) // Shanghai
	fmt.Println(geo.OutOfChina(139.69, 35.69)) // Tokyo
	// Output:
	// false
	// true
}

func ExampleWGS84ToGCJ02() {
	lng, lat := geo.WGS84ToGCJ02(121.5272106, 31.1774276)
	fmt.Printf("%.6f %.6f\n", lng, lat)
	// Output:
	// 121.531542 31.175304
}

func ExampleGCJ02ToWGS84() {
	lng, lat := geo.GCJ02ToWGS84(121.531541859215, 31.17530398364597)
	fmt.Printf("%.7f %.7f\n", lng, lat)
	// Output:
	// 121.5272106 31.1774276
}

func ExampleGCJ02ToBD09() {
	lng, lat := geo.GCJ02ToBD09(116.404, 39.915)
	fmt.Printf("%.6f %.6f\n", lng, lat)
	// Output:
	// 116.410369 39.921337
}

func ExampleBD09ToGCJ02() {
	lng, lat := geo.BD09ToGCJ02(116.41036949371029, 39.92133699351021)
	fmt.Printf("%.7f %.7f\n", lng, lat)
	// Output:
	// 116.4040000 39.9150000
}

func ExampleWGS84ToBD09() {
	lng, lat := geo.WGS84ToBD09(123, 45)
	fmt.Printf("%.6f %.6f\n", lng, lat)
	// Output:
	// 123.012449 45.008329
}

func ExampleBD09ToWGS84() {
	lng, lat := geo.BD09ToWGS84(geo.WGS84ToBD09(121.47, 31.23))
	fmt.Printf("%.7f %.7f\n", lng, lat)
	// Output:
	// 121.4700000 31.2300000
}

func ExampleParseCRS() {
	c, err := geo.ParseCRS("GCJ02")
	fmt.Println(c, err)
	_, err = geo.ParseCRS("gcj-02")
	fmt.Println(err)
	// Output:
	// gcj02 <nil>
	// parse crs "gcj-02": unknown coordinate system (valid: wgs84, gcj02, bd09)
}

func ExampleCRS_ToWGS84() {
	c, _ := geo.ParseCRS("gcj02") // coordinates from Amap
	lng, lat := c.ToWGS84(121.531541859215, 31.17530398364597)
	fmt.Printf("%.7f %.7f\n", lng, lat)
	// Output:
	// 121.5272106 31.1774276
}

func ExampleCRS_FromWGS84() {
	// Shift a cell centre so it sits right on a GCJ-02 (Amap) basemap.
	lng, lat := geo.GCJ02.FromWGS84(121.47, 31.23)
	fmt.Printf("%.6f %.6f\n", lng, lat)
	// Output:
	// 121.474535 31.228067
}
